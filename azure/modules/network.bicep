// The virtual network the Container Apps environment runs in. Silos reach each other and the API reaches the
// gateways on replica addresses inside this subnet; storage and Key Vault are reached through service endpoints so
// the storage account can refuse every other network.

@description('Azure region of the network.')
param location string

@description('Prefix of every resource name of this deployment.')
param namePrefix string

@description('Address space of the virtual network.')
param addressPrefix string

@description('The environment\'s subnet (at least /27 for a workload-profiles environment; /23 leaves room to scale).')
param environmentSubnetPrefix string

resource vnet 'Microsoft.Network/virtualNetworks@2024-07-01' = {
  name: '${namePrefix}-vnet'
  location: location
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        name: 'container-apps'
        properties: {
          addressPrefix: environmentSubnetPrefix
          delegations: [
            {
              name: 'container-apps'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
          serviceEndpoints: [
            {
              service: 'Microsoft.Storage'
            }
            {
              service: 'Microsoft.KeyVault'
            }
          ]
        }
      }
    ]
  }
}

output environmentSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, 'container-apps')
