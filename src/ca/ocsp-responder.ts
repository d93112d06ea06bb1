import { webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { IssuedCertificate } from '../domain/types.js';
import {
  certIdMatches,
  crlReasonCode,
  keyHash,
  nonceValue,
  nonceExtension,
  OCSP_RESPONSE_STATUS,
  OID_OCSP_BASIC,
  type OcspResponseStatus,
  parseCertificate,
  serialHex,
  wholeSeconds,
} from './ocsp-asn1.js';

export interface OcspResponderOptions {
  issuerCertPem: string;
  issuerPrivateKey: webcrypto.CryptoKey;
  lookup(serialHex: string): Promise<IssuedCertificate | undefined>;
  now: Date;
  validityMs: number;
  /** A delegated responder (RFC 6960 §4.2.2.2) signing instead of the issuer; attached to the response. */
  signer?: { certPem: string; privateKey: webcrypto.CryptoKey };
}

const engine = new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto });

/**
 * RFC 6960 responder for one CA. It signs with the CA key itself (then no
 * certificate is attached) unless a delegated `signer` is given. Answers DER
 * in every case: a request that cannot be parsed gets malformedRequest.
 */
export async function respondOcsp(
  requestDer: Uint8Array,
  options: OcspResponderOptions,
): Promise<Uint8Array> {
  const request = parseRequest(requestDer);
  if (!request) return statusOnly('malformedRequest');
  const issuer = parseCertificate(options.issuerCertPem);
  const ours = request.tbsRequest.requestList.filter((r) => certIdMatches(r.reqCert, issuer));
  if (ours.length === 0) return statusOnly('unauthorized');

  const now = wholeSeconds(options.now);
  const nextUpdate = wholeSeconds(new Date(now.getTime() + options.validityMs));
  const responses: pkijs.SingleResponse[] = [];
  for (const { reqCert } of request.tbsRequest.requestList) {
    let certStatus: asn1js.BaseBlock = unknownStatus();
    if (certIdMatches(reqCert, issuer)) {
      let issued: IssuedCertificate | undefined;
      try {
        issued = await options.lookup(serialHex(reqCert.serialNumber));
      } catch {
        return statusOnly('internalError');
      }
      if (issued) certStatus = issuedStatus(issued, now);
    }
    responses.push(
      new pkijs.SingleResponse({ certID: reqCert, certStatus, thisUpdate: now, nextUpdate }),
    );
  }

  const nonce = nonceValue(request.tbsRequest.requestExtensions);
  const signerCert = options.signer ? parseCertificate(options.signer.certPem) : issuer;
  const basic = new pkijs.BasicOCSPResponse({
    tbsResponseData: new pkijs.ResponseData({
      responderID: new asn1js.OctetString({ valueHex: keyHash(signerCert) }),
      producedAt: now,
      responses,
      ...(nonce ? { responseExtensions: [nonceExtension(nonce)] } : {}),
    }),
    ...(options.signer ? { certs: [signerCert] } : {}),
  });
  await basic.sign(options.signer?.privateKey ?? options.issuerPrivateKey, 'SHA-256', engine);
  const response = new pkijs.OCSPResponse({
    responseStatus: new asn1js.Enumerated({ value: 0 }),
    responseBytes: new pkijs.ResponseBytes({
      responseType: OID_OCSP_BASIC,
      response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER() }),
    }),
  });
  return new Uint8Array(response.toSchema().toBER());
}

function parseRequest(der: Uint8Array): pkijs.OCSPRequest | undefined {
  try {
    const request = pkijs.OCSPRequest.fromBER(der);
    return request.tbsRequest.requestList.length > 0 ? request : undefined;
  } catch {
    return undefined;
  }
}

function statusOnly(status: OcspResponseStatus): Uint8Array {
  const response = new pkijs.OCSPResponse({
    responseStatus: new asn1js.Enumerated({ value: OCSP_RESPONSE_STATUS.indexOf(status) }),
  });
  return new Uint8Array(response.toSchema().toBER());
}

function issuedStatus(issued: IssuedCertificate, now: Date): asn1js.BaseBlock {
  if (issued.status !== 'revoked') {
    return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 } });
  }
  const reason = crlReasonCode(issued.revocationReason);
  const revokedAt = wholeSeconds(issued.revokedAt ?? now);
  return new asn1js.Constructed({
    idBlock: { tagClass: 3, tagNumber: 1 },
    value: [
      new asn1js.GeneralizedTime({ valueDate: revokedAt }),
      ...(reason === undefined
        ? []
        : [
            new asn1js.Constructed({
              idBlock: { tagClass: 3, tagNumber: 0 },
              value: [new asn1js.Enumerated({ value: reason })],
            }),
          ]),
    ],
  });
}

function unknownStatus(): asn1js.BaseBlock {
  return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 2 } });
}
