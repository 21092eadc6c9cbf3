/**
 * Configuring a socket this process holds but sockopts does not own (a driver's, found by the
 * listing) through a duplicate of its fd. Another thread of the process (a worker, a native
 * library) can close that fd and open another socket at its number at any moment, so a check of
 * the number followed by setsockopt calls on the number could configure that other socket. A
 * duplicate holds the socket itself: its identity is checked on the duplicate, every call is made
 * through it, and it is closed afterwards, so whatever the number comes to hold meanwhile, only
 * the socket checked is configured. (A handle the caller passes is the caller's own: those calls
 * go to its fd directly.)
 *
 * @module
 */
import { noteDuplicate } from "../sys/debug.ts";
import { SockoptError } from "../errors.ts";
import { closeDuplicate, duplicate } from "../sys/libc.ts";
import { holdsCookie } from "../sys/inspect.ts";
import { rowFromFd, type TcpSocketInfo } from "./socket_info.ts";

/** What {@link throughDuplicate} returns when the fd no longer holds the socket listed there. */
export const GONE: unique symbol = Symbol("gone");

/** Whether a duplicate holds the socket the listing found. */
export type SocketCheck = (copy: number) => boolean;

/** The check by SO_COOKIE (Linux), which the kernel never reuses: one getsockopt. */
export function cookieCheck(low: number, high: number): SocketCheck {
  return (copy) => holdsCookie(copy, low, high);
}

/** The check where no cookie was listed: both addresses, as the listing read them. */
export function addressCheck(socket: TcpSocketInfo): SocketCheck {
  return (copy) => {
    const now = rowFromFd(copy);
    return now !== undefined && now.localText === socket.localText && now.remoteText === socket.remoteText;
  };
}

/**
 * Calls `use` with a duplicate of `fd` once `check` confirms the duplicate holds the socket that
 * was listed at `fd`, and closes the duplicate afterwards, whatever happens.
 *
 * @param fd The fd the listing found the socket at.
 * @param check How to tell it is still that socket.
 * @param use What to do with it, through the duplicate's number.
 * @returns What `use` returned, or {@link GONE} when `fd` no longer holds that socket.
 * @throws What `use` throws; a {@link SockoptError} on the duplicate names `fd` instead.
 */
export function throughDuplicate<T>(fd: number, check: SocketCheck, use: (copy: number) => T): T | typeof GONE {
  const copy = duplicate(fd);
  if (copy < 0) return GONE;
  noteDuplicate(copy, fd); // the debug view names the socket each call on `copy` is for
  try {
    return check(copy) ? use(copy) : GONE;
  } catch (error) {
    throw error instanceof SockoptError && error.fd === copy ? renamed(error, copy, fd) : error;
  } finally {
    noteDuplicate(-1, -1);
    closeDuplicate(copy);
  }
}

// The error as if the call had been made on `fd`: reports name the socket's own number.
function renamed(error: SockoptError, copy: number, fd: number): SockoptError {
  const message = error.message.replace(new RegExp(`\\bfd ${copy}\\b`, "g"), `fd ${fd}`);
  const { code, errno, syscall, option } = error;
  return new SockoptError(message, { code, errno, syscall, option, fd }, { cause: error });
}
