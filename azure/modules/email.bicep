// Azure Communication Services Email for the outbox (E1-E4). The silo speaks plain SMTP (MailKit) to
// smtp.azurecomm.net with an SMTP username bound to a Microsoft Entra application; the password is that
// application's client secret, kept in Key Vault. An Azure-managed domain works from the first deployment; a custom
// domain is created alongside and becomes the sender once its DNS records are verified (emailDomainVerified).

@description('Prefix of every resource name of this deployment.')
param namePrefix string

@description('Where Communication Services stores email data at rest.')
param dataLocation string

@description('A custom sender domain (e.g. billing.example.com); empty for the Azure-managed domain only.')
param customDomain string

@description('True once the custom domain\'s DNS records are verified in the portal: it is then linked and used as sender.')
param customDomainVerified bool

@description('Local part of the sender address on the custom domain.')
param senderLocalPart string

@description('Application (client) id of the Entra application the silo authenticates to SMTP as.')
param smtpApplicationId string

@description('Object id of that application\'s service principal (for its role on Communication Services).')
param smtpServicePrincipalId string

@description('The SMTP username bound to that application.')
param smtpUsername string

var useCustomDomain = !empty(customDomain) && customDomainVerified

resource emailService 'Microsoft.Communication/emailServices@2025-05-01' = {
  name: '${namePrefix}-email'
  location: 'global'
  properties: {
    dataLocation: dataLocation
  }
}

resource managedDomain 'Microsoft.Communication/emailServices/domains@2025-05-01' = {
  parent: emailService
  name: 'AzureManagedDomain'
  location: 'global'
  properties: {
    domainManagement: 'AzureManaged'
    userEngagementTracking: 'Disabled'
  }
}

resource domain 'Microsoft.Communication/emailServices/domains@2025-05-01' = if (!empty(customDomain)) {
  parent: emailService
  name: empty(customDomain) ? 'unused' : customDomain
  location: 'global'
  properties: {
    domainManagement: 'CustomerManaged'
    userEngagementTracking: 'Disabled'
  }
}

resource customSender 'Microsoft.Communication/emailServices/domains/senderUsernames@2025-05-01' = if (!empty(customDomain)) {
  parent: domain
  name: toLower(senderLocalPart)
  properties: {
    username: senderLocalPart
    displayName: 'Billing'
  }
}

resource communication 'Microsoft.Communication/communicationServices@2025-05-01' = {
  name: '${namePrefix}-acs'
  location: 'global'
  properties: {
    dataLocation: dataLocation
    linkedDomains: useCustomDomain ? [managedDomain.id, domain.id] : [managedDomain.id]
  }
}

// Least privilege for SMTP: the actions Communication Services checks when an Entra application sends email.
resource smtpSenderRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'billing-smtp-sender')
  properties: {
    roleName: '${namePrefix} SMTP sender'
    description: 'Sends email through the Communication Services resource over SMTP.'
    type: 'CustomRole'
    assignableScopes: [
      resourceGroup().id
    ]
    permissions: [
      {
        actions: [
          'Microsoft.Communication/CommunicationServices/Read'
          'Microsoft.Communication/CommunicationServices/Write'
          'Microsoft.Communication/EmailServices/write'
        ]
      }
    ]
  }
}

resource smtpSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(communication.id, smtpServicePrincipalId, smtpSenderRole.id)
  scope: communication
  properties: {
    roleDefinitionId: smtpSenderRole.id
    principalId: smtpServicePrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource smtpUser 'Microsoft.Communication/communicationServices/smtpUsernames@2024-09-01-preview' = {
  parent: communication
  name: smtpUsername
  properties: {
    username: smtpUsername
    entraApplicationId: smtpApplicationId
    tenantId: tenant().tenantId
  }
}

output smtpHost string = 'smtp.azurecomm.net'
output smtpUsername string = smtpUser.properties.username
// An Azure-managed domain sends only as DoNotReply.
output fromAddress string = useCustomDomain ? '${senderLocalPart}@${customDomain}' : 'DoNotReply@${managedDomain.properties.fromSenderDomain}'
