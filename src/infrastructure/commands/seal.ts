import type { SealedMap } from '../../domain/shared';
import type { SecretBox } from '../crypto';

export const sealMap = (secrets: SecretBox, plain: Readonly<Record<string, string>> | undefined): SealedMap =>
  Object.fromEntries(Object.entries(plain ?? {}).map(([key, value]) => [key, secrets.seal(value)]));

export const openMap = (secrets: SecretBox, sealed: SealedMap): Record<string, string> =>
  Object.fromEntries(Object.entries(sealed).map(([key, value]) => [key, secrets.open(value)]));
