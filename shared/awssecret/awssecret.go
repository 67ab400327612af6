// Package awssecret reads a secret's string value from AWS Secrets Manager.
// It is its own package so that only the functions that read secrets (today
// get-key, for the licence-key signing keys) link the Secrets Manager client;
// it satisfies boot.SecretSource.
package awssecret

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Client reads secrets with GetSecretValue (the AWSCURRENT version).
type Client struct {
	sm *secretsmanager.Client
}

// New makes a client from the function's AWS configuration; the endpoint
// follows AWS_ENDPOINT_URL_SECRETS_MANAGER like every other client's.
func New(cfg aws.Config) *Client { return &Client{sm: secretsmanager.NewFromConfig(cfg)} }

// SecretString returns the SecretString of the secret id (an ARN or name).
// The value is returned only, never logged or put in an error.
func (c *Client) SecretString(ctx context.Context, id string) (string, error) {
	out, err := c.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
	if err != nil {
		return "", err
	}
	if out.SecretString == nil {
		return "", fmt.Errorf("awssecret: secret %s has no SecretString (a binary secret?)", id)
	}
	return *out.SecretString, nil
}
