// The one storage account of the cluster: grain state, reminders, membership, ledgers, usage and the outbox live
// in its tables. Shared keys are disabled, so the only way in is Microsoft Entra ID: the silo's and the API's
// managed identities hold Storage Table Data Contributor on this account and nothing else does.

@description('Azure region of the account.')
param location string

@description('Globally unique account name (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param accountName string

@description('Replication: zone- and geo-redundant in production, locally redundant is enough for a dev environment.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
  'Standard_RAGZRS'
])
param skuName string

@description('The Container Apps subnet: the account accepts requests from it (service endpoint) and refuses other networks.')
param environmentSubnetId string

@description('Public addresses (CIDR) allowed besides the subnet, e.g. the operators\' network for backups.')
param allowedIpRanges string[]

@description('Principal ids of the identities that read and write the tables (the silo\'s and the API\'s).')
param tableDataPrincipalIds string[]

// Built-in role: Storage Table Data Contributor.
var tableDataContributorRoleId = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'

resource account 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: accountName
  location: location
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Deny'
      bypass: 'AzureServices'
      virtualNetworkRules: [
        {
          id: environmentSubnetId
          action: 'Allow'
        }
      ]
      ipRules: [for range in allowedIpRanges: {
        value: range
        action: 'Allow'
      }]
    }
  }
}

resource tableDataContributors 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for principalId in tableDataPrincipalIds: {
  name: guid(account.id, principalId, tableDataContributorRoleId)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', tableDataContributorRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

output accountName string = account.name
output tableEndpoint string = account.properties.primaryEndpoints.table
