/** The test TLS material: a CA, and a certificate it signed for localhost, 127.0.0.1 and ::1. */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures");
const read = (name: string) => readFileSync(join(fixtures, name), "utf8");

export const cert: string = read("cert.pem");
export const key: string = read("key.pem");
export const ca: string = read("ca.pem");
