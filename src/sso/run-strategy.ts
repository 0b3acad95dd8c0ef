import type { MultiSamlStrategy } from '@node-saml/passport-saml';

/** What a passport strategy decided for one request. */
export type StrategyOutcome =
  | { kind: 'redirect'; url: string }
  | { kind: 'success'; user: Record<string, unknown> }
  | { kind: 'fail'; info: unknown }
  | { kind: 'error'; error: Error }
  | { kind: 'pass' };

/** The parts of a request passport-saml reads. */
export interface StrategyRequest {
  query: Record<string, string | undefined>;
  body: Record<string, string | undefined>;
  headers: Record<string, string | string[] | undefined>;
  url: string;
}

type Actions = { [K in 'redirect' | 'success' | 'fail' | 'error' | 'pass']: (...args: never[]) => void };

/**
 * Runs the strategy on one request and answers its decision, the way passport.authenticate does
 * (a delegate object carrying the action functions), but without passport's sessions or globals.
 */
export function runStrategy(strategy: MultiSamlStrategy, req: StrategyRequest): Promise<StrategyOutcome> {
  return new Promise((resolve) => {
    const delegate = Object.create(strategy) as MultiSamlStrategy & Actions;
    const actions: Actions = {
      redirect: (url: string) => resolve({ kind: 'redirect', url }),
      success: (user: Record<string, unknown>) => resolve({ kind: 'success', user }),
      fail: (info: unknown) => resolve({ kind: 'fail', info }),
      error: (error: Error) => resolve({ kind: 'error', error }),
      pass: () => resolve({ kind: 'pass' }),
    };
    Object.assign(delegate, actions);
    try {
      delegate.authenticate(req as never, {});
    } catch (error) {
      resolve({ kind: 'error', error: error as Error });
    }
  });
}
