import type { CALocation, SignedResponse } from '../domain/types.js';

/** Creates the SignedResponse: response data, signature, key id and CA locations. */
export class ResponseAssembler {
  assemble(args: {
    data: unknown;
    signature: string;
    kid: string;
    caLocations: CALocation[];
  }): SignedResponse {
    return {
      data: args.data,
      signature: args.signature,
      kid: args.kid,
      caLocations: args.caLocations.map((location) => ({ ...location })),
    };
  }
}
