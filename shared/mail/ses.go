package mail

// DefaultFrom is the sender address off AWS (the local SES emulator accepts
// any); functions in AWS get the verified identity as SES_FROM_ADDRESS.
const DefaultFrom = "benefits@example.com"

// HeaderMessageID carries the outbox message id, so a delivered email can be
// traced back to the state change that owed it.
const HeaderMessageID = "X-Benefits-Message-Id"

// The SES v2 transport is shared/mail/sesmail, apart so that only send-mail
// links the SES client: every HTTP function imports this package (to write
// the outbox) and would otherwise run the SES SDK's package init at cold start.
