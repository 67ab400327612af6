// The API's JSON shapes the console reads (api/openapi.yaml is the contract).

export interface Money { amount: number; currency: string }

export interface Purchase { id: string; packageId: string; plan: string; status: string; purchasedAt: string }

export interface Holder { userId: string; email: string; displayName: string; assignedAt: string }

export interface Redemption {
  tenantId: string; mode: string; redeemedBy: string; redeemedAt: string;
  seats: number; endDate: string; termUnder12Months: boolean;
}

export type Kind = "software" | "credit-monthly" | "credit-annual" | "license" | "visual-studio" | "support" | "advisory-hours" | "gtm-offer";

export interface Benefit {
  id: string; purchaseId: string; kind: Kind; product: string; productName?: string; plan: string;
  quantity: number; used: number; benefitType: string; status: string; expiresAt: string;
  holders?: Holder[]; assignedToCaller?: boolean; balance?: Money; redemption?: Redemption;
}

export interface Dashboard { purchases: Purchase[]; benefits: Benefit[] }

export interface User { id: string; email: string; displayName: string; roles: string[]; guest: boolean; createdAt: string }

export interface Page<T> { items: T[]; nextCursor?: string }

export interface ServiceRequest {
  serviceRequestId: string; purchaseId: string; packageName: string; status: string;
  refund: Money; reason: string; requestedBy: string; requestedAt: string; resolvedAt?: string; note?: string;
}

export interface PurchaseDetail extends Purchase { price: Money; benefits: Benefit[]; cancellation: ServiceRequest | null }

export interface CatalogPackage {
  id: string; plan: string; name: string; price: Money;
  benefits: { kind: Kind; product: string; quantity: number; benefitType: string }[];
}
