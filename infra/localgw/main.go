// Command localgw is the local development gateway behind `make dev`. It
// starts DynamoDB Local and the SES v2 emulator (unless AWS_ENDPOINT_URL_*
// already point somewhere), creates the table from the same definition the
// CDK stack uses, seeds the demo catalogue, partner and key pools, and serves
// the route table on 127.0.0.1:8080 by calling the Lambda handlers in process
// with the exact events API Gateway would send.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pbs/benefits/shared/boot"
	"github.com/pbs/benefits/shared/cancel"
	"github.com/pbs/benefits/shared/clock"
	"github.com/pbs/benefits/shared/credit"
	"github.com/pbs/benefits/shared/devstack"
	"github.com/pbs/benefits/shared/expiry"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil)).With("component", "localgw")
	if err := run(ctx, log); err != nil {
		log.Error("local gateway stopped", "error", err.Error())
		os.Exit(1)
	}
}

func run(ctx context.Context, log *slog.Logger) error {
	start := time.Now()
	port, err := envPort("PORT", 8080)
	if err != nil {
		return err
	}
	if os.Getenv("AWS_ENDPOINT_URL_DYNAMODB") == "" {
		ddbPort, err := envPort("DYNAMODB_PORT", 8000)
		if err != nil {
			return err
		}
		sesPort, err := envPort("SES_PORT", 8005)
		if err != nil {
			return err
		}
		st, err := devstack.Start(ctx, devstack.Options{DynamoDBPort: ddbPort, SESPort: sesPort})
		if err != nil {
			return err
		}
		defer st.Stop()
		for _, kv := range st.Env() {
			k, v, _ := strings.Cut(kv, "=")
			os.Setenv(k, v)
		}
		log.Info("local AWS stack started", "dynamodb", st.DynamoDBEndpoint, "ses", st.SESEndpoint)
	}
	tableName := os.Getenv("TABLE_NAME")
	if tableName == "" {
		tableName = "benefits-local"
	}
	cfg, err := boot.AWSConfig(ctx)
	if err != nil {
		return err
	}
	// DynamoDB Local omits the CRC32 header on error responses, which makes
	// the SDK warn on every failed condition; the emulator is trusted here.
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.DisableValidateResponseChecksum = true })
	if err := store.CreateTable(ctx, db, tableName); err != nil {
		var inUse *types.ResourceInUseException
		if !errors.As(err, &inUse) {
			return err
		}
	}
	clk := clock.NewSettable()
	// What the stack sets in AWS, the gateway defaults locally.
	localDefaults := map[string]string{"TABLE_NAME": tableName, "LICENSE_SIGNING_SEED": devSigningSeed}
	settings, err := boot.FromEnv(func(k string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		return localDefaults[k]
	})
	if err != nil {
		return err
	}
	svc := boot.NewService(settings, db, clk, boot.Logger())
	sum, err := seed(ctx, svc.Store, clk.Now)
	if err != nil {
		return fmt.Errorf("seed demo data: %w", err)
	}
	tok, err := newTokens(localIssuer)
	if err != nil {
		return err
	}
	sender := newMailSender(cfg, db, tableName, log)
	grants := boot.NewGrantJob(tableName, db, nil, "", boot.Logger())
	releases := boot.NewReleaseJob(tableName, db, boot.Logger())
	gw, err := newGateway(svc, clk, tok, localJobs(sender, grants, boot.NewExpiryJob(tableName, db, nil, "", boot.Logger()), releases), log)
	if err != nil {
		return err
	}
	go everyMinute(ctx, releases, clk, log)
	webDir := os.Getenv("WEB_DIR")
	if webDir == "" {
		webDir = ".build/web"
	}
	switch site, err := newConsoleSite(webDir, demoConsole()); {
	case errors.Is(err, errNoConsole):
		log.Warn("console not served: build it with make web", "dir", webDir)
	case err != nil:
		return err
	default:
		gw.console = site
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return err
	}
	// Emailed links (GTM confirmations) point back at this gateway.
	svc.PublicURL = "http://" + ln.Addr().String()
	srv := &http.Server{Handler: drainAfter(gw, sender, clk, log), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	fmt.Fprintf(os.Stderr, `
partner benefits service is up at http://%s (ready in %s); the console is at /
  table %s on %s, mail on %s
  catalogue %s; demo partner %s, its global admin %s; %d demo pool keys
  token:  curl -s -X POST http://%s/_local/token -d '{"partnerId":"%s","userId":"%s","roles":["global-admin"]}'
  Ctrl-C stops everything.

`, ln.Addr(), time.Since(start).Round(time.Millisecond), tableName, os.Getenv("AWS_ENDPOINT_URL_DYNAMODB"),
		os.Getenv("AWS_ENDPOINT_URL_SESV2"), sum.CatalogVersion, demoPartnerID, demoAdminID, sum.PoolKeys,
		ln.Addr(), demoPartnerID, demoAdminID)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// localIssuer is the iss of local tokens; nothing fetches it.
const localIssuer = "http://127.0.0.1/_local"

// devSigningSeed signs licence keys locally when LICENSE_SIGNING_SEED is
// unset. It is public, so keys it signs prove nothing; never deploy it.
const devSigningSeed = "ZGV2ZWxvcG1lbnQtb25seS1zaWduaW5nLXNlZWQtMDA="

// localJobs are the scheduled functions /_local/jobs/{name} can run.
func localJobs(sender *mail.Sender, grants *credit.Job, exp *expiry.Job, releases cancel.Releases) map[string]job {
	return map[string]job{"send-mail": sendMailJob(sender), "monthly-credit-grant": grantJob(grants), "expire-benefits": expiryJob(exp),
		"finish-cancellations": releaseJob(releases)}
}

// releaseJob is /_local/jobs/finish-cancellations: one run at the service
// clock.
func releaseJob(j cancel.Releases) job {
	return func(ctx context.Context, now time.Time, _ url.Values) (any, error) { return j.Run(ctx, now) }
}

// everyMinute stands in for the finish-cancellations schedule under make
// dev: a cancelled purchase's seats are released within a minute, as in
// AWS. (send-mail's stand-in is drainAfter; the daily jobs run on demand.)
func everyMinute(ctx context.Context, j cancel.Releases, clk clock.Clock, log *slog.Logger) {
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if _, err := j.Run(ctx, clk.Now()); err != nil {
				log.Error("finish cancellations", "error", err.Error())
			}
		}
	}
}

// expiryJob is /_local/jobs/expire-benefits: the daily run, at the service
// clock.
func expiryJob(j *expiry.Job) job {
	return func(ctx context.Context, now time.Time, _ url.Values) (any, error) {
		return j.Run(ctx, expiry.Request{}, now)
	}
}

// grantJob is /_local/jobs/monthly-credit-grant[?period=YYYY-MM]: what the
// schedule does on the 1st, at the service clock. Locally there is no
// timeout, so a run goes to the end and needs no continuation.
func grantJob(j *credit.Job) job {
	return func(ctx context.Context, now time.Time, params url.Values) (any, error) {
		return j.Run(ctx, credit.Request{Period: params.Get("period")}, now)
	}
}

func envPort(name string, def int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%s=%q is not a port number", name, v)
	}
	return n, nil
}
