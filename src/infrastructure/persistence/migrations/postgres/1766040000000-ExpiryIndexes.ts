/** PostgreSQL counterpart of ../1766040000000-ExpiryIndexes.ts: the same statements run on both. */
export { ExpiryIndexes1766040000000 } from '../1766040000000-ExpiryIndexes';
