// Lets the container apps' identities pull images from the Azure Container Registry that publish-images.sh pushes
// to (deployed in the registry's resource group, which may be shared by several environments).

@description('Name of the registry.')
param registryName string

@description('Principal ids allowed to pull.')
param pullerPrincipalIds string[]

// Built-in role: AcrPull.
var acrPullRoleId = '7f951dda-4ed3-4680-a7ca-43fe172d538d'

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

resource pullers 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for principalId in pullerPrincipalIds: {
  name: guid(registry.id, principalId, acrPullRoleId)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPullRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

output loginServer string = registry.properties.loginServer
