import type { Client, QueryResult } from 'pg';

/**
 * Sends statements as one simple query (one round trip; PostgreSQL runs them in turn and stops
 * at the first that fails) and answers one result per statement. pg answers a query of several
 * statements with an array of results, which its types do not say: checked here, not cast.
 */
export const simpleQuery = async (client: Client, statements: readonly string[]): Promise<QueryResult[]> => {
  const answer: QueryResult | QueryResult[] = await client.query(statements.join('; '));
  return Array.isArray(answer) ? answer : [answer];
};
