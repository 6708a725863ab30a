/**
 * HS256 JSON Web Tokens as the DirectLink server hands them out (`sub`, `exp`, `iat`, `nbf`),
 * plus a `jti` so the emulator can revoke every token it issued (expireAllTokens).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface JwtClaims {
  sub: string;
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
}

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Sign claims with the secret; returns the compact `header.payload.signature` form. */
export function signJwt(claims: JwtClaims, secret: Buffer): string {
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
  const signature = createHmac('sha256', secret).update(unsigned).digest('base64url');
  return `${unsigned}.${signature}`;
}

/** Claims of a token whose signature checks out, or undefined (time checks are the caller's). */
export function verifyJwt(token: string, secret: Buffer): JwtClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [header, payload, signature] = parts as [string, string, string];
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<JwtClaims>;
    if (typeof claims.sub !== 'string' || typeof claims.exp !== 'number' || typeof claims.jti !== 'string') return undefined;
    return { sub: claims.sub, exp: claims.exp, iat: claims.iat ?? 0, nbf: claims.nbf ?? 0, jti: claims.jti };
  } catch {
    return undefined;
  }
}

/** A fresh random id for `jti`. */
export function newTokenId(): string {
  return randomBytes(12).toString('base64url');
}
