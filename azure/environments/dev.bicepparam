// A development environment: two silos (the least that is a cluster), one API replica, sandbox payments, locally
// redundant storage. Installation-specific values and secrets come from the deploying shell's environment, so this
// file holds no tenant ids and no secret:
//   BILLING_REGISTRY       name of the Azure Container Registry publish-images.sh pushed to
//   BILLING_IMAGE_TAG      the tag publish-images.sh printed
//   BILLING_TOKEN_AUTHORITY the OIDC issuer of users' and operators' tokens
//   BILLING_SMTP_APP_ID, BILLING_SMTP_SP_ID   the Entra application that sends email (docs/operations.md)
//   BILLING_OPERATOR_EMAIL who receives alerts
//   BILLING_WEBHOOK_SECRET, BILLING_SMTP_PASSWORD   only on the first deployment and to rotate (else unset)
using '../main.bicep'

param environmentName = 'dev'
param registryName = readEnvironmentVariable('BILLING_REGISTRY')
param imageTag = readEnvironmentVariable('BILLING_IMAGE_TAG')
param clusterId = 'billing-dev'
param serviceId = 'billing'

param siloMinReplicas = 2
param siloMaxReplicas = 3
param siloCpu = '1.0'
param siloMemory = '2Gi'
param apiMinReplicas = 1
param apiMaxReplicas = 3
param workloadProfileMinNodes = 1
param workloadProfileMaxNodes = 2
param zoneRedundant = false

param storageSku = 'Standard_LRS'
param keyVaultPurgeProtection = false
param logRetentionDays = 30

param paymentGateway = 'Sandbox'
// Development runs on the sandbox on purpose: without this the silo refuses to start on it (Payments:AllowSandbox).
param allowSandboxPayments = true
param tokenAuthority = readEnvironmentVariable('BILLING_TOKEN_AUTHORITY')
param portalBaseUrl = 'https://portal.dev.example.com'

param smtpApplicationId = readEnvironmentVariable('BILLING_SMTP_APP_ID')
param smtpServicePrincipalId = readEnvironmentVariable('BILLING_SMTP_SP_ID')
param operatorEmails = [
  readEnvironmentVariable('BILLING_OPERATOR_EMAIL')
]

param webhookSecret = readEnvironmentVariable('BILLING_WEBHOOK_SECRET', '')
param smtpPassword = readEnvironmentVariable('BILLING_SMTP_PASSWORD', '')
