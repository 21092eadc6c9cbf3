/**
 * Which scanner a policy uses on this host: sock_diag's where the kernel has it, else a listing.
 *
 * @module
 */
import { ListingScanner } from "./listing_scanner.ts";
import { DiagScanner, type Scanner } from "./policy_scan.ts";
import { sockDiagAvailable } from "../sys/sock_diag.ts";

/**
 * The scanner for this host.
 * @returns A new scanner, knowing no socket yet.
 */
export function createScanner(): Scanner {
  return sockDiagAvailable() ? new DiagScanner() : new ListingScanner();
}
