package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/jsii-runtime-go"

	"github.com/pbs/benefits/shared/table"
)

// newTable builds the table from table.Table. It uses NewTable, which
// synthesizes AWS::DynamoDB::Table, rather than NewTableV2, whose
// AWS::DynamoDB::GlobalTable nests PITR under Replicas: the plain table keeps
// the template (and its assertions) flat, matches what the local tooling
// creates in DynamoDB Local, and is what LocalStack and SAM handle best.
//
// In prod the table is retained when the stack (or the resource) is
// deleted, and deletion protection refuses DeleteTable from anyone; in dev
// both are off, so `make destroy STAGE=dev` leaves nothing behind.
func (b *builder) newTable() awsdynamodb.Table {
	str := func(name string) *awsdynamodb.Attribute {
		return &awsdynamodb.Attribute{Name: jsii.String(name), Type: awsdynamodb.AttributeType_STRING}
	}
	def := table.Table
	prod := b.props.Stage == stageProd
	tbl := awsdynamodb.NewTable(b.stack, jsii.String("Table"), &awsdynamodb.TableProps{
		// No TableName: CloudFormation names it and functions read TABLE_NAME.
		PartitionKey: str(def.PartitionKey),
		SortKey:      str(def.SortKey),
		BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		// SSE-KMS under the AWS managed key aws/dynamodb: each use of the key
		// is in CloudTrail, no key to administer or lose, no KMS grants for
		// the functions. A customer managed key (TableEncryption_CUSTOMER_MANAGED)
		// is the upgrade once someone owns its key policy.
		Encryption:          awsdynamodb.TableEncryption_AWS_MANAGED,
		TimeToLiveAttribute: jsii.String(def.TTLAttribute),
		DeletionProtection:  jsii.Bool(prod),
		RemovalPolicy:       b.removalPolicy(),
	})
	for _, ix := range def.Indexes {
		tbl.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(ix.Name),
			PartitionKey:   str(ix.PartitionKey),
			SortKey:        str(ix.SortKey),
			ProjectionType: awsdynamodb.ProjectionType_ALL,
		})
	}
	checkov(tbl, skipTableCMK)
	return tbl
}

// signingKeyID is the first key id of the licence signing secret.
const signingKeyID = "k1"

// newSigningSecret is the licence signing key. Secrets Manager generates
// the material at creation, so it is never in the template:
//
//	{"current":"k1","k1":"<64 random letters and digits>"}
//
// "current" names the key id in use; every other member is a key id and its
// material (the Ed25519 seed is the SHA-256 of the material). Rotating adds
// "k2" and then points "current" at it.
func (b *builder) newSigningSecret() awssecretsmanager.Secret {
	secret := awssecretsmanager.NewSecret(b.stack, jsii.String("SigningKeySecret"), &awssecretsmanager.SecretProps{
		Description: jsii.String(*b.stack.StackName() + ": licence signing key material, read by get-key"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			SecretStringTemplate: jsii.String(`{"current":"` + signingKeyID + `"}`),
			GenerateStringKey:    jsii.String(signingKeyID),
			PasswordLength:       jsii.Number(64),
			ExcludePunctuation:   jsii.Bool(true),
			IncludeSpace:         jsii.Bool(false),
		},
		RemovalPolicy: b.removalPolicy(),
	})
	checkov(secret, skipSecretCMK)
	return secret
}
