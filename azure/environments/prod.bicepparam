// Production: three silos at least (one can restart while two keep the cluster redundant), zone-redundant
// environment and geo-zone-redundant storage, purge protection on Key Vault, the real payment gateway.
// Installation-specific values and secrets come from the deploying shell's environment, as for dev.bicepparam, plus:
//   BILLING_PAYMENT_GATEWAY  the payment gateway's name (never the sandbox here)
//   BILLING_PORTAL_URL       the customer portal every email links to
//   BILLING_EMAIL_DOMAIN     the custom sender domain; BILLING_EMAIL_DOMAIN_VERIFIED=true once its DNS is verified
using '../main.bicep'

param environmentName = 'prod'
param registryName = readEnvironmentVariable('BILLING_REGISTRY')
param imageTag = readEnvironmentVariable('BILLING_IMAGE_TAG')
param clusterId = 'billing-prod'
param serviceId = 'billing'

param siloMinReplicas = 3
param siloMaxReplicas = 8
param siloCpu = '2.0'
param siloMemory = '4Gi'
param apiMinReplicas = 2
param apiMaxReplicas = 20
param apiConcurrentRequests = 100
param workloadProfileType = 'D4'
param workloadProfileMinNodes = 3
param workloadProfileMaxNodes = 10
param zoneRedundant = true

param storageSku = 'Standard_GZRS'
param keyVaultPurgeProtection = true
param logRetentionDays = 90

param paymentGateway = readEnvironmentVariable('BILLING_PAYMENT_GATEWAY')
param tokenAuthority = readEnvironmentVariable('BILLING_TOKEN_AUTHORITY')
param portalBaseUrl = readEnvironmentVariable('BILLING_PORTAL_URL')

param emailCustomDomain = readEnvironmentVariable('BILLING_EMAIL_DOMAIN', '')
param emailCustomDomainVerified = bool(readEnvironmentVariable('BILLING_EMAIL_DOMAIN_VERIFIED', 'false'))
param smtpApplicationId = readEnvironmentVariable('BILLING_SMTP_APP_ID')
param smtpServicePrincipalId = readEnvironmentVariable('BILLING_SMTP_SP_ID')
param operatorEmails = [
  readEnvironmentVariable('BILLING_OPERATOR_EMAIL')
]
param failedPaymentsPerHour = 10
param apiServerErrorsPer5Minutes = 10

param webhookSecret = readEnvironmentVariable('BILLING_WEBHOOK_SECRET', '')
param smtpPassword = readEnvironmentVariable('BILLING_SMTP_PASSWORD', '')
