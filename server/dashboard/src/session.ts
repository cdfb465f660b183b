// Who is signed in and what the role may do. The server enforces every rule; the page only hides
// what a role may not do (so nobody is offered a button that would be refused).
export type Role = 'admin' | 'auditor' | 'helpdesk';

export interface Session {
  role: Role;
  name: string;
  tokenId: string;
  csrfToken: string | null;
  expiresAt: string | null;
}

let current: Session | null = null;
export function setSession(s: Session | null): void {
  current = s;
}
export function session(): Session | null {
  return current;
}

/** What the signed-in role may change (mirrors server/src/api/operations.ts). */
export const can = {
  editPolicies: () => current?.role === 'admin',
  editCatalog: () => current?.role === 'admin',
  editTags: () => current?.role === 'admin',
  decideExceptions: () => current?.role === 'admin' || current?.role === 'helpdesk',
};
