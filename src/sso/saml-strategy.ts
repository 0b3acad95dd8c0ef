import { MultiSamlStrategy, type Profile } from '@node-saml/passport-saml';
import type { SsoSettings } from '../domain/auth/sso-settings-service.js';
import type { StrategyRequest } from './run-strategy.js';
import type { samlOptions, SpEndpoints } from './saml-options.js';

/** What getSamlOptions needs, carried on the request handed to the strategy. */
export interface AccountRequest extends StrategyRequest {
  samlConfig: ReturnType<typeof samlOptions>;
}

/** passport-saml's strategy, its options taken from each request (one account's settings): shared by sign-in and the console's test sign-in. */
export function newSamlStrategy(): MultiSamlStrategy {
  return new MultiSamlStrategy(
    {
      passReqToCallback: true,
      getSamlOptions: (req, done) => done(null, (req as unknown as AccountRequest).samlConfig),
    },
    (_req: unknown, profile: Profile | null, done: (err: Error | null, user?: Record<string, unknown>) => void) => done(null, profile ? { profile } : undefined),
    (_req: unknown, _profile: Profile | null, done: (err: Error | null, user?: Record<string, unknown>) => void) => done(null, {}),
  );
}

export type { SsoSettings, SpEndpoints };
