import type { SignetConfig } from '../../config/loader.js';
import type { SignetApi } from '../../service/api.js';
import type { Auth } from '../auth.js';

/** The part of the config the HTTP layer reads. */
export type HttpConfig = Pick<SignetConfig, 'server' | 'publicUrl'> & {
  keys: Pick<SignetConfig['keys'], 'jwksMaxAge'>;
};

/** What every route plugin receives from the app. */
export interface RouteContext {
  api: SignetApi;
  auth: Auth;
  config: HttpConfig;
  /** Aborted when the app starts closing, so that long-polls answer at once. */
  closing: AbortSignal;
}
