/** The one error a supervisor's start-up throws (runsv's "fatal" exits, code 111). */

/** `message` is runit's text after `fatal: `, e.g. `unable to lock supervise/lock: temporary failure`. */
export class SupervisorFatal extends Error {
  override name = "SupervisorFatal";
}
