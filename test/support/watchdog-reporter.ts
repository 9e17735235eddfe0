/**
 * A vitest reporter that turns a stuck suite into a quick failure that says where it is stuck.
 * Vitest's own test timeout cannot fire while a test blocks its thread (a synchronous wait, a
 * native call that never returns): the run would last as long as CI lets it. This reporter runs
 * in vitest's main process, whose event loop stays free; when no test has started or finished for
 * QUIET_S seconds (far above the slowest test, ~20 s) while files are still running, it prints the
 * files and tests still running and ends the run with exit code 1.
 */
import type { Reporter, TestCase, TestModule } from 'vitest/node';

const QUIET_S = Number(process.env['CNNSCOPE_TEST_WATCHDOG_S'] ?? 300);

export default class WatchdogReporter implements Reporter {
  private readonly modules = new Set<TestModule>();
  private readonly cases = new Set<TestCase>();
  private timer: NodeJS.Timeout | undefined;

  onTestModuleStart(m: TestModule): void {
    this.modules.add(m);
    this.arm();
  }

  onTestModuleEnd(m: TestModule): void {
    this.modules.delete(m);
    this.arm();
  }

  onTestCaseReady(t: TestCase): void {
    this.cases.add(t);
    this.arm();
  }

  onTestCaseResult(t: TestCase): void {
    this.cases.delete(t);
    this.arm();
  }

  onTestRunEnd(): void {
    clearTimeout(this.timer);
  }

  private arm(): void {
    clearTimeout(this.timer);
    if (this.modules.size === 0 || !(QUIET_S > 0)) return;
    this.timer = setTimeout(() => this.fire(), QUIET_S * 1000);
    this.timer.unref();
  }

  private fire(): void {
    const lines = [`watchdog: no test started or finished for ${QUIET_S} s; still running:`];
    for (const m of this.modules) lines.push(`  file ${m.moduleId}`);
    for (const t of this.cases) lines.push(`  test ${t.module.moduleId} > ${t.fullName}`);
    process.stderr.write(`${lines.join('\n')}\n`);
    process.exit(1);
  }
}
