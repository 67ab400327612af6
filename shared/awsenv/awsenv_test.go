package awsenv

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigFromTheLambdaEnvironment(t *testing.T) {
	cfg, err := Config(env(map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "SECRET",
		"AWS_SESSION_TOKEN": "TOKEN", "AWS_ENDPOINT_URL": "http://all.example", "AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://sm.example"}))
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || cfg.Region != "eu-west-1" || creds.AccessKeyID != "AKID" || creds.SecretAccessKey != "SECRET" || creds.SessionToken != "TOKEN" {
		t.Fatalf("config %+v creds %+v %v", cfg, creds, err)
	}
	if *cfg.BaseEndpoint != "http://all.example" {
		t.Fatalf("base endpoint %v", *cfg.BaseEndpoint)
	}
	e := cfg.ConfigSources[0].(endpoints)
	if v, ok, _ := e.GetServiceBaseEndpoint(context.Background(), "Secrets Manager"); !ok || v != "http://sm.example" {
		t.Fatalf("Secrets Manager endpoint %q %v", v, ok)
	}
	if _, ok, _ := e.GetServiceBaseEndpoint(context.Background(), "DynamoDB"); ok {
		t.Fatal("an unset service endpoint was found")
	}
}

func TestConfigNeedsRegionAndCredentials(t *testing.T) {
	if _, err := Config(env(map[string]string{"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"})); err == nil {
		t.Fatal("no region accepted")
	}
	if _, err := Config(env(map[string]string{"AWS_DEFAULT_REGION": "us-east-1"})); err == nil {
		t.Fatal("no credentials accepted")
	}
	cfg, err := Config(env(map[string]string{"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b",
		"AWS_ENDPOINT_URL": "http://x", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "TRUE"}))
	if err != nil || cfg.Region != "us-east-1" || cfg.BaseEndpoint != nil || len(cfg.ConfigSources) != 0 {
		t.Fatalf("%+v %v", cfg, err)
	}
}

// TestConfigReachesDynamoDBLocal: a client built from this configuration
// talks to the endpoint AWS_ENDPOINT_URL_DYNAMODB names, as a function
// under SAM local or LocalStack would.
func TestConfigReachesDynamoDBLocal(t *testing.T) {
	if os.Getenv("AWS_ENDPOINT_URL_DYNAMODB") == "" {
		if os.Getenv("BENEFITS_LOCAL_STACK") == "required" {
			t.Fatal("AWS_ENDPOINT_URL_DYNAMODB is not set")
		}
		t.Skip("no local stack: run with go run ./infra/withstack")
	}
	cfg, err := Config(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dynamodb.NewFromConfig(cfg).ListTables(context.Background(), &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("ListTables through the environment's endpoint: %v", err)
	}
}
