package mail_test

import (
	"maps"
	"slices"
	"testing"
)

// Mail to an address that has confirmed nothing (the marketing contact's
// address, named by a partner admin) carries no text a caller wrote: only
// the operator's partner and catalogue names, the link and its date. The
// samples list every key a template uses (TestEveryLanguageNeedsEverySampleKey
// and missingkey=error hold them equal), so checking them checks the
// templates.
func TestMailToUnconfirmedAddressesCarriesNoCallerText(t *testing.T) {
	operatorWritten := map[string]bool{"partnerName": true, "offerName": true, "offerType": true, "confirmUrl": true, "linkExpiresOn": true}
	for _, name := range []string{"gtm-contact-instructions", "gtm-offer-confirm"} {
		for _, k := range slices.Sorted(maps.Keys(samples[name])) {
			if !operatorWritten[k] {
				t.Errorf("%s uses %q, which a caller may write, in mail to an unconfirmed address", name, k)
			}
		}
	}
}
