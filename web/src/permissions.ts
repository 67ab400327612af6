// The partner-side permission matrix: which roles may do what. The server
// enforces it on every request; the console only greys out what the caller's
// roles cannot do. An empty list means every partner user, members included.
// A Go test (shared/access) compares this table with the server's, so the two
// cannot drift: keep the object between the markers plain JSON.

export type Action =
  | "view-benefits" | "buy-package" | "add-users" | "list-users" | "assign-users"
  | "get-software" | "activate-offers" | "cancel-package" | "submit-requests" | "view-audit"
  | "request-global-admin" | "decide-global-admin-requests";

// matrix:begin
export const matrix: Record<Action, string[]> = {
  "view-benefits": [],
  "buy-package": [],
  "add-users": ["global-admin", "user-management-admin"],
  "list-users": [],
  "assign-users": ["global-admin"],
  "get-software": ["global-admin", "mpn-partner-admin"],
  "activate-offers": ["global-admin", "mpn-partner-admin"],
  "cancel-package": ["global-admin", "mpn-partner-admin"],
  "submit-requests": [],
  "view-audit": ["global-admin", "mpn-partner-admin"],
  "request-global-admin": [],
  "decide-global-admin-requests": ["global-admin"]
};
// matrix:end

export const partnerRoles = ["global-admin", "mpn-partner-admin", "user-management-admin", "admin-agent"];

// The roles each role may give a directory user: admin roles receive refund,
// cancellation and expiry mail and take keys, so only a global admin hands
// them out. The same Go test holds it to the server's (plain JSON again).
// grants:begin
export const grants: Record<string, string[]> = {
  "global-admin": ["global-admin", "mpn-partner-admin", "user-management-admin", "admin-agent"],
  "user-management-admin": ["user-management-admin", "admin-agent"]
};
// grants:end

// canGrant says whether a caller holding roles may give a user role.
export function canGrant(role: string, roles: string[]): boolean {
  return roles.some((r) => (grants[r] ?? []).includes(role));
}

// grantersOf lists the roles that may give role, for the reason a box is greyed out.
export function grantersOf(role: string): string[] {
  return Object.keys(grants).filter((r) => grants[r].includes(role));
}

export function can(action: Action, roles: string[]): boolean {
  const allowed = matrix[action];
  return allowed.length === 0 || roles.some((r) => allowed.includes(r));
}

// rolesFor lists the roles that may do an action, for the reason a button is
// greyed out.
export function rolesFor(action: Action): string[] {
  return matrix[action];
}
