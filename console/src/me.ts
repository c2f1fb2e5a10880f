import { useQuery } from '@tanstack/react-query';
import { get } from './api';
import type { Me } from './types';

export const useMe = (enabled = true) => useQuery({ queryKey: ['me'], queryFn: () => get<Me>('/api/me'), enabled });

/** Users are the owner's business (the API's role table); the admin token passes every rule. */
export const managesUsers = (me: Me | undefined): boolean => me !== undefined && (me.kind === 'admin' || me.role === 'owner');

/** Admins may read the list of users (who has which role), not change it. */
export const seesUsers = (me: Me | undefined): boolean => me !== undefined && (me.kind === 'admin' || me.role !== 'member');

/** Whether a key may open every profile ("*"): not a member's. */
export const mayUseEveryProfile = (me: Me | undefined): boolean => me !== undefined && (me.kind === 'admin' || me.role !== 'member');

/**
 * Servers, profiles (their servers and tools), imports, traffic and histories are the admins' to
 * change and read; a member only reads and uses what is shared with it (the API's role table).
 * Unknown until GET /api/me answers: nothing is offered that may be refused.
 */
export const managesConfiguration = (me: Me | undefined): boolean => me !== undefined && (me.kind === 'admin' || me.role !== 'member');

/** Histories (a tool's definition over time, the events) are the admins' to read: not a member's. */
export const readsHistory = managesConfiguration;
