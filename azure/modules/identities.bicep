// One user-assigned identity per container app: it survives revisions, so role assignments are granted once, and
// the silo's and the API's rights can differ (only the silo sends email).

@description('Azure region of the identities.')
param location string

@description('Prefix of every resource name of this deployment.')
param namePrefix string

resource silo 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${namePrefix}-silo-id'
  location: location
}

resource api 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${namePrefix}-api-id'
  location: location
}

output siloIdentityId string = silo.id
output siloClientId string = silo.properties.clientId
output siloPrincipalId string = silo.properties.principalId
output apiIdentityId string = api.id
output apiClientId string = api.properties.clientId
output apiPrincipalId string = api.properties.principalId
