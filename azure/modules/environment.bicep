// The Container Apps environment on the virtual network. Silos and the API run on a dedicated workload profile:
// Orleans dials replica addresses directly (silo to silo, client to gateway), which replicas on the Consumption
// profile of a workload-profiles environment do not reliably accept.

@description('Azure region of the environment.')
param location string

@description('Prefix of every resource name of this deployment.')
param namePrefix string

@description('The delegated subnet the environment runs in.')
param subnetId string

@description('The Log Analytics workspace that receives container logs.')
param workspaceName string

@description('Dedicated profile size for the silo and the API (D4: 4 vCPU, 16 GiB per node).')
param workloadProfileType string

@description('Nodes of the dedicated profile.')
@minValue(1)
param minimumNodes int

@description('Upper bound of dedicated profile nodes.')
@minValue(1)
param maximumNodes int

@description('Spread replicas over availability zones (production).')
param zoneRedundant bool

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

resource environment 'Microsoft.App/managedEnvironments@2025-01-01' = {
  name: '${namePrefix}-env'
  location: location
  properties: {
    vnetConfiguration: {
      infrastructureSubnetId: subnetId
      internal: false
    }
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: workspace.properties.customerId
        sharedKey: workspace.listKeys().primarySharedKey
      }
    }
    workloadProfiles: [
      {
        name: 'Consumption'
        workloadProfileType: 'Consumption'
      }
      {
        name: 'orleans'
        workloadProfileType: workloadProfileType
        minimumCount: minimumNodes
        maximumCount: maximumNodes
      }
    ]
    zoneRedundant: zoneRedundant
  }
}

output environmentId string = environment.id
output workloadProfileName string = 'orleans'
output defaultDomain string = environment.properties.defaultDomain
