package support

import (
	"slices"
	"testing"

	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
)

// The store gives a decision only the partner's active purchase of the
// highest plan (catalog.Plans order), not all of them: for every mix of
// plans the rules must decide on that one as they do on all.
func TestTheBestPlanDecidesAsAllPurchases(t *testing.T) {
	for mask := 1; mask < 1<<len(catalog.Plans); mask++ {
		var all []benefit.Purchase
		for i, p := range catalog.Plans {
			if mask&(1<<i) != 0 {
				all = append(all, benefit.Purchase{ID: "pur_" + string(p), Plan: p, Status: benefit.PurchaseActive})
			}
		}
		best := slices.MaxFunc(all, func(a, b benefit.Purchase) int {
			return slices.Index(catalog.Plans, a.Plan) - slices.Index(catalog.Plans, b.Plan)
		})
		one := []benefit.Purchase{best}
		if (Eligible(all) == nil) != (Eligible(one) == nil) || hasPlan(all, signatureCloudPlans) != hasPlan(one, signatureCloudPlans) {
			t.Errorf("plans %v: the best, %s, decides otherwise", all, best.Plan)
		}
	}
}
