// What a check throws to end itself: a finding (CheckFailure) or a reason it
// cannot judge the target (UnsupportedSignal, SkipSignal). Anything else a
// check throws (a TransportError, a bug) ends it with ERROR.
import type { Verdict } from '../../reports/model.js';

export interface FailureDetail {
  expected?: string;
  actual?: string;
  /** Extra facts worth printing (sizes, offsets, the seed of a random value). */
  notes?: string[];
}

export class CheckFailure extends Error {
  constructor(
    message: string,
    readonly detail: FailureDetail = {},
    /** Force a verdict (e.g. NON-STRICT for an accepted-but-discouraged answer). */
    readonly verdict?: Extract<Verdict, 'FAIL' | 'NON-STRICT'>,
  ) {
    super(message);
    this.name = 'CheckFailure';
  }
}

export class UnsupportedSignal extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'UnsupportedSignal';
  }
}

export class SkipSignal extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'SkipSignal';
  }
}

/** How a service's status codes are named in messages. */
export interface StatusDomain {
  /** e.g. `PSA_ERROR_NOT_PERMITTED (-133)` */
  name(code: number): string;
}
