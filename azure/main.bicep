// The billing cluster on Azure, deployed into one resource group with one command:
//
//   az deployment group create --resource-group <group> --parameters azure/environments/<env>.bicepparam
//
// Storage (tables, Microsoft Entra ID only), a Container Apps environment on a virtual network running the silo
// (two or more replicas, one Orleans cluster, internal ingress only) and the API (external HTTPS,
// scaled on load), Communication Services Email for the outbox, Key Vault for every secret, Log Analytics and
// Application Insights, and the alerts operators act on. docs/operations.md explains how to run it.

metadata description = 'Billing and metering cluster: Orleans silo and REST API on Azure Container Apps.'

targetScope = 'resourceGroup'

@description('Azure region of every regional resource.')
param location string = resourceGroup().location

@description('Environment name, part of every resource name: lowercase letters and digits (dev, prod, ...).')
@minLength(2)
@maxLength(8)
param environmentName string

@description('Name of the Azure Container Registry the images are pulled from (publish-images.sh pushes to it).')
param registryName string

@description('Resource group of that registry.')
param registryResourceGroup string = resourceGroup().name

@description('Tag of both images, as publish-images.sh pushed them (e.g. a commit id). Never "latest": a tag names one build.')
param imageTag string

@description('Orleans cluster id: silos and clients with the same id form one cluster.')
param clusterId string

@description('Orleans service id: keys grain state and reminders, so it never changes once data exists.')
param serviceId string = 'billing'

@description('Fewest silo replicas (two or more).')
@minValue(2)
param siloMinReplicas int = 2

@description('Most silo replicas.')
@minValue(2)
param siloMaxReplicas int = 6

@description('vCPU per silo replica.')
param siloCpu string = '2.0'

@description('Memory per silo replica.')
param siloMemory string = '4Gi'

@description('Fewest API replicas.')
@minValue(1)
param apiMinReplicas int = 2

@description('Most API replicas.')
param apiMaxReplicas int = 10

@description('Concurrent requests per API replica above which another starts.')
param apiConcurrentRequests int = 100

@description('vCPU per API replica.')
param apiCpu string = '1.0'

@description('Memory per API replica.')
param apiMemory string = '2Gi'

@description('Dedicated workload profile type for the silo and the API.')
param workloadProfileType string = 'D4'

@description('Fewest nodes of the dedicated profile.')
param workloadProfileMinNodes int = 1

@description('Most nodes of the dedicated profile.')
param workloadProfileMaxNodes int = 4

@description('Spread the environment over availability zones.')
param zoneRedundant bool = false

@description('Address space of the virtual network.')
param vnetAddressPrefix string = '10.40.0.0/16'

@description('Subnet of the Container Apps environment.')
param environmentSubnetPrefix string = '10.40.0.0/23'

@description('Storage replication.')
param storageSku string = 'Standard_ZRS'

@description('Public addresses (CIDR) allowed to reach the storage account besides the environment (operators\' backups).')
param storageAllowedIpRanges string[] = []

@description('Purge protection on the Key Vault.')
param keyVaultPurgeProtection bool = true

@description('Days Log Analytics keeps data.')
param logRetentionDays int = 30

@description('Payment gateway of the silo (Payments:Gateway).')
param paymentGateway string

@description('Whether the silo may run on the sandbox gateway (Payments:AllowSandbox): test environments only; without it a silo on the sandbox refuses to start.')
param allowSandboxPayments bool = false

@description('The OIDC issuer whose keys sign users\' and operators\' tokens (Authentication:Schemes:Bearer:Authority).')
param tokenAuthority string

@description('The issuer (iss) tokens must carry; defaults to the authority.')
param tokenIssuer string = tokenAuthority

@description('The audience (aud) tokens must carry.')
param tokenAudience string = 'billing-api'

@description('The customer portal every email link is built from.')
param portalBaseUrl string

@description('Sender display name of emails.')
param emailFromName string = 'Billing'

@description('Where Communication Services keeps email data at rest.')
param emailDataLocation string = 'Europe'

@description('Custom sender domain; empty to send from the Azure-managed domain.')
param emailCustomDomain string = ''

@description('True once the custom domain\'s DNS records are verified: it then becomes the sender.')
param emailCustomDomainVerified bool = false

@description('Local part of the sender address on the custom domain.')
param emailSenderLocalPart string = 'billing'

@description('Application (client) id of the Entra application the silo sends email as (docs/operations.md).')
param smtpApplicationId string

@description('Object id of that application\'s service principal.')
param smtpServicePrincipalId string

@description('SMTP username bound to that application on Communication Services.')
param smtpUsername string = 'billing-outbox'

@description('Addresses alerts are sent to.')
param operatorEmails string[]

@description('Failed payments per hour above which operators are alerted.')
param failedPaymentsPerHour int = 10

@description('API 5xx answers per 5 minutes above which operators are alerted.')
param apiServerErrorsPer5Minutes int = 10

@description('The payment gateway\'s webhook signing secret. Give it (from the environment, see the parameter files) on the first deployment and to rotate; empty keeps the value in Key Vault.')
@secure()
param webhookSecret string = ''

@description('The client secret of the SMTP Entra application. Give it on the first deployment and to rotate; empty keeps the value in Key Vault.')
@secure()
param smtpPassword string = ''

// The image repositories, the same as ContainerRepository in silo/ and api/ (a test holds the two together).
var siloRepository = 'billing/silo'
var apiRepository = 'billing/api'

// Where the silo image keeps the invoice fonts (ContainerWorkingDirectory /app of the .NET images + fonts/).
var invoiceFontDirectory = '/app/fonts'

var namePrefix = 'billing-${environmentName}'
// Names known before deployment (not module outputs), so that What-If can predict the resources that use them.
var workspaceName = '${namePrefix}-logs'
var appInsightsName = '${namePrefix}-insights'
var siloAppName = '${namePrefix}-silo'
var apiAppName = '${namePrefix}-api'
var uniqueSuffix = uniqueString(resourceGroup().id, environmentName)

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    workspaceName: workspaceName
    appInsightsName: appInsightsName
    retentionInDays: logRetentionDays
  }
}

module network 'modules/network.bicep' = {
  name: 'network'
  params: {
    location: location
    namePrefix: namePrefix
    addressPrefix: vnetAddressPrefix
    environmentSubnetPrefix: environmentSubnetPrefix
  }
}

module identities 'modules/identities.bicep' = {
  name: 'identities'
  params: {
    location: location
    namePrefix: namePrefix
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    accountName: take('billing${toLower(environmentName)}${uniqueSuffix}', 24)
    skuName: storageSku
    environmentSubnetId: network.outputs.environmentSubnetId
    allowedIpRanges: storageAllowedIpRanges
    tableDataPrincipalIds: [
      identities.outputs.siloPrincipalId
      identities.outputs.apiPrincipalId
    ]
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    vaultName: take('kv-billing-${environmentName}-${uniqueSuffix}', 24)
    enablePurgeProtection: keyVaultPurgeProtection
    secretReaderPrincipalIds: [
      identities.outputs.siloPrincipalId
      identities.outputs.apiPrincipalId
    ]
    webhookSecret: webhookSecret
    smtpPassword: smtpPassword
  }
}

module registryAccess 'modules/registry-access.bicep' = {
  name: 'registry-access'
  scope: resourceGroup(registryResourceGroup)
  params: {
    registryName: registryName
    pullerPrincipalIds: [
      identities.outputs.siloPrincipalId
      identities.outputs.apiPrincipalId
    ]
  }
}

module email 'modules/email.bicep' = {
  name: 'email'
  params: {
    namePrefix: namePrefix
    dataLocation: emailDataLocation
    customDomain: emailCustomDomain
    customDomainVerified: emailCustomDomainVerified
    senderLocalPart: emailSenderLocalPart
    smtpApplicationId: smtpApplicationId
    smtpServicePrincipalId: smtpServicePrincipalId
    smtpUsername: smtpUsername
  }
}

module environment 'modules/environment.bicep' = {
  name: 'environment'
  dependsOn: [
    monitoring
  ]
  params: {
    location: location
    namePrefix: namePrefix
    subnetId: network.outputs.environmentSubnetId
    workspaceName: workspaceName
    workloadProfileType: workloadProfileType
    minimumNodes: workloadProfileMinNodes
    maximumNodes: workloadProfileMaxNodes
    zoneRedundant: zoneRedundant
  }
}

module silo 'modules/silo.bicep' = {
  name: 'silo'
  dependsOn: [
    monitoring
  ]
  params: {
    location: location
    appName: siloAppName
    environmentId: environment.outputs.environmentId
    workloadProfileName: environment.outputs.workloadProfileName
    image: '${registryAccess.outputs.loginServer}/${siloRepository}:${imageTag}'
    registryServer: registryAccess.outputs.loginServer
    identityId: identities.outputs.siloIdentityId
    identityClientId: identities.outputs.siloClientId
    tableServiceUri: storage.outputs.tableEndpoint
    clusterId: clusterId
    serviceId: serviceId
    siloPort: 11111
    gatewayPort: 30000
    minReplicas: siloMinReplicas
    maxReplicas: siloMaxReplicas
    cpu: siloCpu
    memory: siloMemory
    appInsightsName: appInsightsName
    paymentGateway: paymentGateway
    allowSandboxPayments: allowSandboxPayments
    smtpHost: email.outputs.smtpHost
    smtpUsername: email.outputs.smtpUsername
    smtpPasswordSecretUrl: keyVault.outputs.smtpCredentialUrl
    fromAddress: email.outputs.fromAddress
    fromName: emailFromName
    portalBaseUrl: portalBaseUrl
    invoiceFontDirectory: invoiceFontDirectory
  }
}

module api 'modules/api.bicep' = {
  name: 'api'
  dependsOn: [
    monitoring
  ]
  params: {
    location: location
    appName: apiAppName
    environmentId: environment.outputs.environmentId
    workloadProfileName: environment.outputs.workloadProfileName
    image: '${registryAccess.outputs.loginServer}/${apiRepository}:${imageTag}'
    registryServer: registryAccess.outputs.loginServer
    identityId: identities.outputs.apiIdentityId
    identityClientId: identities.outputs.apiClientId
    tableServiceUri: storage.outputs.tableEndpoint
    clusterId: clusterId
    serviceId: serviceId
    minReplicas: apiMinReplicas
    maxReplicas: apiMaxReplicas
    concurrentRequestsPerReplica: apiConcurrentRequests
    cpu: apiCpu
    memory: apiMemory
    appInsightsName: appInsightsName
    webhookSecretUrl: keyVault.outputs.webhookSecretUrl
    tokenAuthority: tokenAuthority
    tokenIssuer: tokenIssuer
    tokenAudience: tokenAudience
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  dependsOn: [
    monitoring
    silo
    api
  ]
  params: {
    location: location
    namePrefix: namePrefix
    operatorEmails: operatorEmails
    appInsightsName: appInsightsName
    siloAppName: siloAppName
    apiAppName: apiAppName
    siloMinReplicas: siloMinReplicas
    failedPaymentsPerHour: failedPaymentsPerHour
    serverErrorsPer5Minutes: apiServerErrorsPer5Minutes
  }
}

@description('The API\'s public HTTPS address.')
output apiUrl string = api.outputs.url

@description('The Orleans dashboard, served by the API to operators (tokens with the billing-operator role) only.')
output operatorDashboardUrl string = '${api.outputs.url}/operator/dashboard/'

@description('The storage account holding every table.')
output storageAccountName string = storage.outputs.accountName

@description('The Key Vault holding the secrets.')
output keyVaultName string = keyVault.outputs.vaultName
