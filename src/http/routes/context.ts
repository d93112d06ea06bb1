import type { SignetConfig } from '../../config/loader.js';
import type { SignetApi } from '../../service/api.js';
import type { Auth } from '../auth.js';

/** What every route plugin receives from the app. */
export interface RouteContext {
  api: SignetApi;
  auth: Auth;
  config: Pick<SignetConfig, 'server' | 'publicUrl'>;
  /** Aborted when the app starts closing, so that long-polls answer at once. */
  closing: AbortSignal;
}
