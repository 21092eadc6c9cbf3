/**
 * The Windows functions the Windows backend calls, in the notation of src/ffi/symbols.ts (each C
 * parameter named beside its type), and the plan that binds them: ws2_32
 * for the socket calls, ntdll for listing and naming the process's own handles (how a socket
 * whose runtime exposes no handle is found) and the build number, kernel32 for the process
 * id and whether a handle is open, and the C runtime (ucrtbase) for the adapters' memory helpers.
 *
 * Widths on x64 (the Windows build the supported runtimes ship): `SOCKET` and
 * `HANDLE` are pointer-sized (UINT_PTR, void *), bound as `usize`, so a value read from a handle
 * table passes as is; `int`, `DWORD`, `ULONG`, `NTSTATUS` and `BOOL` are 32-bit (LLP64).
 * A process's own pseudo handle, `GetCurrentProcess()`, is `(HANDLE)-1`: bound as `isize`.
 *
 * Sources: `winsock2.h` (setsockopt, getsockopt, getsockname, getpeername, WSAIoctl,
 * WSAGetLastError), `winternl.h` and the Windows Driver Kit's `ntifs.h`/`ntddk.h`
 * (NtQueryInformationProcess, NtQuerySystemInformation, NtQueryObject, RtlGetVersion),
 * `processthreadsapi.h` (GetCurrentProcessId).
 *
 * @module
 */
import type { BindEntry, BindPlan, SymbolDefinition } from "../../src/ffi/symbols.ts";

/** ws2_32.dll. Winsock is already started by every runtime that has a socket open (each called
 * WSAStartup), so no WSAStartup is bound: with no socket there is nothing to configure. */
export const WS2_32_SYMBOLS = {
  // int setsockopt(SOCKET s, int level, int optname, const char *optval, int optlen);
  setsockopt: {
    parameters: [
      "usize", // SOCKET s
      "i32", // int level
      "i32", // int optname
      "pointer", // const char *optval
      "i32", // int optlen
    ],
    result: "i32", // 0, or SOCKET_ERROR (-1) and WSAGetLastError()
  },
  // int getsockopt(SOCKET s, int level, int optname, char *optval, int *optlen);
  getsockopt: {
    parameters: [
      "usize", // SOCKET s
      "i32", // int level
      "i32", // int optname
      "pointer", // char *optval
      "pointer", // int *optlen
    ],
    result: "i32",
  },
  // int getsockname(SOCKET s, struct sockaddr *name, int *namelen);
  getsockname: {
    parameters: [
      "usize", // SOCKET s
      "pointer", // struct sockaddr *name
      "pointer", // int *namelen
    ],
    result: "i32",
  },
  // int getpeername(SOCKET s, struct sockaddr *name, int *namelen);
  getpeername: {
    parameters: [
      "usize", // SOCKET s
      "pointer", // struct sockaddr *name
      "pointer", // int *namelen
    ],
    result: "i32",
  },
  // int WSAIoctl(SOCKET s, DWORD dwIoControlCode, LPVOID lpvInBuffer, DWORD cbInBuffer,
  //   LPVOID lpvOutBuffer, DWORD cbOutBuffer, LPDWORD lpcbBytesReturned,
  //   LPWSAOVERLAPPED lpOverlapped, LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine);
  // Only SIO_KEEPALIVE_VALS, synchronously (both overlapped arguments NULL).
  WSAIoctl: {
    parameters: [
      "usize", // SOCKET s
      "u32", // DWORD dwIoControlCode
      "pointer", // LPVOID lpvInBuffer
      "u32", // DWORD cbInBuffer
      "pointer", // LPVOID lpvOutBuffer
      "u32", // DWORD cbOutBuffer
      "pointer", // LPDWORD lpcbBytesReturned (must not be NULL for a synchronous call)
      "pointer", // LPWSAOVERLAPPED lpOverlapped
      "pointer", // LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine
    ],
    result: "i32",
  },
  // int WSAGetLastError(void); the calling thread's last Winsock error (errno's counterpart).
  WSAGetLastError: {
    parameters: [],
    result: "i32",
  },
} as const;

/** ntdll.dll: the process's handle table, each handle's object type and name, the OS build. */
export const NTDLL_SYMBOLS = {
  // NTSTATUS NtQueryInformationProcess(HANDLE ProcessHandle, PROCESSINFOCLASS ProcessInformationClass,
  //   PVOID ProcessInformation, ULONG ProcessInformationLength, PULONG ReturnLength);
  // With ProcessHandleInformation (51, Windows 8+): PROCESS_HANDLE_SNAPSHOT_INFORMATION.
  NtQueryInformationProcess: {
    parameters: [
      "isize", // HANDLE ProcessHandle ((HANDLE)-1: this process)
      "i32", // PROCESSINFOCLASS ProcessInformationClass
      "pointer", // PVOID ProcessInformation
      "u32", // ULONG ProcessInformationLength
      "pointer", // PULONG ReturnLength
    ],
    result: "i32", // NTSTATUS: >= 0 success
  },
  // NTSTATUS NtQuerySystemInformation(SYSTEM_INFORMATION_CLASS SystemInformationClass,
  //   PVOID SystemInformation, ULONG SystemInformationLength, PULONG ReturnLength);
  // With SystemExtendedHandleInformation (64): every process's handles, filtered by our pid.
  NtQuerySystemInformation: {
    parameters: [
      "i32", // SYSTEM_INFORMATION_CLASS SystemInformationClass
      "pointer", // PVOID SystemInformation
      "u32", // ULONG SystemInformationLength
      "pointer", // PULONG ReturnLength
    ],
    result: "i32",
  },
  // NTSTATUS NtQueryObject(HANDLE Handle, OBJECT_INFORMATION_CLASS ObjectInformationClass,
  //   PVOID ObjectInformation, ULONG ObjectInformationLength, PULONG ReturnLength);
  // ObjectTypeInformation (2) names the type ("File"); ObjectNameInformation (1) the object
  // ("\Device\Afd" for a socket).
  NtQueryObject: {
    parameters: [
      "usize", // HANDLE Handle
      "i32", // OBJECT_INFORMATION_CLASS ObjectInformationClass
      "pointer", // PVOID ObjectInformation
      "u32", // ULONG ObjectInformationLength
      "pointer", // PULONG ReturnLength
    ],
    result: "i32",
  },
  // NTSTATUS NtQueryInformationFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock,
  //   PVOID FileInformation, ULONG Length, FILE_INFORMATION_CLASS FileInformationClass);
  // FileModeInformation (16): whether the file was opened for synchronous I/O, from the file
  // object's flags, without waiting for the file.
  NtQueryInformationFile: {
    parameters: [
      "usize", // HANDLE FileHandle
      "pointer", // PIO_STATUS_BLOCK IoStatusBlock
      "pointer", // PVOID FileInformation
      "u32", // ULONG Length
      "i32", // FILE_INFORMATION_CLASS FileInformationClass
    ],
    result: "i32",
  },
  // NTSTATUS RtlGetVersion(PRTL_OSVERSIONINFOW lpVersionInformation); the real build number
  // (GetVersionEx lies to programs without a manifest), for the option gates.
  RtlGetVersion: {
    parameters: [
      "pointer", // PRTL_OSVERSIONINFOW lpVersionInformation (dwOSVersionInfoSize filled in first)
    ],
    result: "i32",
  },
} as const;

/** ntdll.dll under Wine only: its presence tells Wine from Windows (Wine names no socket
 * `\Device\Afd`, so there sockets are told from other files by asking them, which Wine answers
 * without blocking). Optional: null on Windows. */
export const WINE_SYMBOLS = {
  // const char *wine_get_version(void);
  wine_get_version: {
    parameters: [],
    result: "pointer",
    optional: true,
  },
} as const;

/** kernel32.dll. */
export const KERNEL32_SYMBOLS = {
  // DWORD GetCurrentProcessId(void); the pid SystemExtendedHandleInformation rows carry.
  GetCurrentProcessId: {
    parameters: [],
    result: "u32",
  },
  // BOOL GetHandleInformation(HANDLE hObject, LPDWORD lpdwFlags); fails (ERROR_INVALID_HANDLE)
  // only for a handle that is not open: fcntl(F_GETFD)'s counterpart, and no call to the
  // object's driver.
  GetHandleInformation: {
    parameters: [
      "usize", // HANDLE hObject
      "pointer", // LPDWORD lpdwFlags
    ],
    result: "i32",
  },
} as const;

/** The C runtime: the address a pointer stands for, as a number (for the offsets of strings
 * NtQueryObject writes into a buffer with pointers into itself). */
export const CRT_SYMBOLS = {
  // void *memmove(void *dest, const void *src, size_t n); with n = 0 it copies nothing and
  // returns dest, here read as an integer.
  address_of: {
    parameters: [
      "pointer", // void *dest
      "pointer", // const void *src
      "usize", // size_t n
    ],
    result: "usize",
  },
} as const;

/** The DLLs, by the name LoadLibrary finds them under (the system directory). */
export const WINDOWS_LIBRARIES = {
  ws2_32: "ws2_32.dll",
  ntdll: "ntdll.dll",
  kernel32: "kernel32.dll",
  // The Universal C Runtime (Windows 10 and later); msvcrt.dll where it is missing.
  crt: ["ucrtbase.dll", "msvcrt.dll"],
} as const;

const entries = (table: Record<string, SymbolDefinition>): BindEntry[] =>
  Object.entries(table).map(([key, symbol]) => [key, key, symbol]);

/**
 * What the Windows backend binds: the four DLLs as one table, with the last error read from
 * `WSAGetLastError()` (the thread's last Win32 error, which every call below sets on failure).
 */
export const WINDOWS_PLAN: BindPlan = {
  libraries: [
    { name: WINDOWS_LIBRARIES.ws2_32, paths: [WINDOWS_LIBRARIES.ws2_32], symbols: entries(WS2_32_SYMBOLS) },
    {
      name: WINDOWS_LIBRARIES.ntdll,
      paths: [WINDOWS_LIBRARIES.ntdll],
      symbols: entries({ ...NTDLL_SYMBOLS, ...WINE_SYMBOLS }),
    },
    { name: WINDOWS_LIBRARIES.kernel32, paths: [WINDOWS_LIBRARIES.kernel32], symbols: entries(KERNEL32_SYMBOLS) },
    // The runtime adapters also take their memory helpers (memmove/memcpy, malloc/free) from it.
    {
      name: "the C runtime",
      paths: WINDOWS_LIBRARIES.crt,
      symbols: [["address_of", "memmove", CRT_SYMBOLS.address_of]],
      crt: true,
    },
  ],
  lastError: { key: "WSAGetLastError", via: "result" },
};

type Name =
  | keyof typeof WS2_32_SYMBOLS
  | keyof typeof NTDLL_SYMBOLS
  | keyof typeof KERNEL32_SYMBOLS
  | keyof typeof CRT_SYMBOLS;

/**
 * The bound functions, as the backend calls them: integers in and out as numbers (handles are
 * small multiples of 4), pointers from the library's `pointerOf`.
 */
export type WindowsSymbols =
  & { readonly [K in Name]: (...args: unknown[]) => number }
  & { readonly wine_get_version: ((...args: unknown[]) => unknown) | null };
