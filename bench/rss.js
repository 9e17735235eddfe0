// Preloaded into a child by bench/run.js (`node --import ./bench/rss.js ...`): at exit, prints to
// stderr the process's peak RSS (KiB) and CPU time (µs, user + system), as the kernel counts them.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  const u = process.resourceUsage();
  writeSync(2, `\nmaxrss ${u.maxRSS} cpu ${u.userCPUTime + u.systemCPUTime}\n`);
});
