// TEMPORARY stand-in for 14a's keepConfigured until their branch lands. Not committed.
import { configureSockets as cs, getKeepAlive, getUserTimeout } from "../../mod.ts";
export { getKeepAlive, getUserTimeout };
const plan = (n: number) => {
  const S = Math.floor(0.9 * n / 1000);
  const count = Math.min(3, S - 1);
  const interval = Math.max(1, Math.floor(S / (3 * count)));
  return {
    keepAlive: { idle: (S - count * interval) * 1000, interval: interval * 1000, count },
    userTimeout: S * 1000,
  };
};
const conv = (s: any) => s.detectWithin ? plan(s.detectWithin) : s;
export function configureSockets(f: any, s: any): any {
  const r: any = cs(f, conv(s));
  r.skipped = [];
  return r;
}
export function keepConfigured(f: any, s: any, o: any): any {
  const seen = new Set<string>();
  const tick = () => {
    const r = cs(f, conv(s)).filter((x: any) => {
      const k = `${x.fd}:${x.local.port}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    return { configured: r, skipped: [] };
  };
  tick();
  const t = o.period ? setInterval(tick, o.period) : undefined;
  return {
    refresh: tick,
    stats: {},
    [Symbol.dispose]() {
      clearInterval(t);
    },
  };
}
export function deadPeerPlan(n: number) {
  const p = plan(n);
  return { ...p.keepAlive, userTimeout: p.userTimeout };
}
