package benefit

import "github.com/pbs/benefits/shared/apperr"

// DrawAttempts bounds the read–decide–write rounds of one draw on lines
// (an incident, advisory hours); when every round lost to a concurrent
// change the answer is ErrBusy.
const DrawAttempts = 8

// ErrBusy: the lines kept changing under the draw; the client retries.
var ErrBusy = apperr.New(apperr.Conflict, "benefit_busy", "These benefits are being used by other requests; retry.")
