// Every secret of the deployment lives here, and the container apps read it through their managed identities
// (Container Apps Key Vault references, refreshed from the latest version of each secret). Secret values never pass
// through a parameter file: a deployment writes a secret only when its value is given as a secure parameter (first
// deployment, rotation); otherwise the value already in the vault stays.

@description('Azure region of the vault.')
param location string

@description('Globally unique vault name (3-24 characters).')
@minLength(3)
@maxLength(24)
param vaultName string

@description('Purge protection: a deleted vault or secret cannot be purged before its retention ends. On in production.')
param enablePurgeProtection bool

@description('Principal ids of the identities that read secrets (the silo\'s and the API\'s).')
param secretReaderPrincipalIds string[]

@description('The payment gateway\'s webhook signing secret; empty keeps the value already in the vault.')
@secure()
param webhookSecret string

@description('The SMTP password (the client secret of the Entra application that sends email); empty keeps the vault\'s.')
@secure()
param smtpPassword string

// Names of the secrets in the vault, shared with the container app modules through the outputs.
var webhookSecretName = 'payments-webhook-secret'
var smtpPasswordName = 'smtp-password'

// Built-in role: Key Vault Secrets User (read secret values).
var secretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: vaultName
  location: location
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: enablePurgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
  }
}

resource secretsUsers 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for principalId in secretReaderPrincipalIds: {
  name: guid(vault.id, principalId, secretsUserRoleId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsUserRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

resource webhook 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (!empty(webhookSecret)) {
  parent: vault
  name: webhookSecretName
  properties: {
    value: webhookSecret
    contentType: 'text/plain'
  }
}

resource smtp 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (!empty(smtpPassword)) {
  parent: vault
  name: smtpPasswordName
  properties: {
    value: smtpPassword
    contentType: 'text/plain'
  }
}

output vaultName string = vault.name
// Versionless secret URLs: Container Apps follows the latest version, so a rotation needs no redeployment.
output webhookSecretUrl string = '${vault.properties.vaultUri}secrets/${webhookSecretName}'
output smtpCredentialUrl string = '${vault.properties.vaultUri}secrets/${smtpPasswordName}'
