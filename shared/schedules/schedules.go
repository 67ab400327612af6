// Package schedules is the one list of scheduled functions. The CDK
// stack builds a function, an EventBridge Scheduler schedule, a dead-letter
// queue and alarms for each job, and the app requires each job's bootstrap,
// so a job is deployed by adding it here once its functions/<name> exists.
package schedules

// Job is one scheduled function.
type Job struct {
	// Name is the folder under functions/ and so the Lambda of the job.
	Name string
	// Expression is an EventBridge Scheduler rate(...) or cron(...)
	// expression, evaluated in UTC.
	Expression string
	// Description says what one run does.
	Description string
}

// All lists every deployed job. A job is added here when its function is.
var All = []Job{
	{"send-mail", "rate(1 minute)", "drains the email outbox"},
	{"monthly-credit-grant", "cron(0 0 1 * ? *)", "grants every monthly credit with a holder its month, once"},
	{"expire-benefits", "cron(0 1 * * ? *)", "expires benefits past their date; emails global admins 30 and 7 days before"},
	{"finish-cancellations", "rate(1 minute)", "releases the seats and credit offers of purchases cancelled since the last run"},
}

// Names returns the job names in list order.
func Names() []string {
	names := make([]string, len(All))
	for i, j := range All {
		names[i] = j.Name
	}
	return names
}
