// The REST API: an Orleans client of the cluster behind the environment's external HTTPS ingress (TLS ends at the
// ingress; plain HTTP is refused), scaled on concurrent requests.

@description('Azure region of the app.')
param location string

@description('Name of the container app.')
param appName string

@description('The Container Apps environment.')
param environmentId string

@description('The dedicated workload profile the API runs on (it dials silo gateways directly).')
param workloadProfileName string

@description('The API image (registry/repository:tag), as publish-images.sh pushes it.')
param image string

@description('Login server of the registry the image is pulled from (with the app\'s identity).')
param registryServer string

@description('The API\'s user-assigned identity (resource id).')
param identityId string

@description('Client id of that identity: DefaultAzureCredential picks the identity by AZURE_CLIENT_ID.')
param identityClientId string

@description('Table service endpoint of the storage account.')
param tableServiceUri string

@description('Orleans cluster id (the silo\'s).')
param clusterId string

@description('Orleans service id (the silo\'s).')
param serviceId string

@description('Fewest API replicas.')
@minValue(1)
param minReplicas int

@description('Most API replicas.')
param maxReplicas int

@description('Concurrent requests per replica above which another replica starts.')
param concurrentRequestsPerReplica int

@description('vCPU per replica.')
param cpu string

@description('Memory per replica (e.g. 2Gi).')
param memory string

@description('Application Insights component that receives the OpenTelemetry data.')
param appInsightsName string

@description('Key Vault URL of the payment gateway\'s webhook signing secret.')
param webhookSecretUrl string

@description('The OIDC issuer whose keys sign users\' and operators\' tokens.')
param tokenAuthority string

@description('The issuer (iss) tokens must carry.')
param tokenIssuer string

@description('The audience (aud) tokens must carry.')
param tokenAudience string

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource api 'Microsoft.App/containerApps@2025-01-01' = {
  name: appName
  location: location
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    environmentId: environmentId
    workloadProfileName: workloadProfileName
    configuration: {
      activeRevisionsMode: 'Single'
      registries: [
        {
          server: registryServer
          identity: identityId
        }
      ]
      ingress: {
        external: true
        targetPort: 8080
        transport: 'http'
        allowInsecure: false
      }
      secrets: [
        {
          name: 'payments-webhook-secret'
          keyVaultUrl: webhookSecretUrl
          identity: identityId
        }
      ]
    }
    template: {
      terminationGracePeriodSeconds: 30
      containers: [
        {
          name: 'api'
          image: image
          resources: {
            cpu: json(cpu)
            memory: memory
          }
          env: [
            {
              name: 'Urls'
              value: 'http://+:8080'
            }
            {
              // The ingress terminates TLS and forwards the client's address and scheme (rate limits key on it).
              name: 'ASPNETCORE_FORWARDEDHEADERS_ENABLED'
              value: 'true'
            }
            {
              name: 'AZURE_CLIENT_ID'
              value: identityClientId
            }
            {
              name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
              value: appInsights.properties.ConnectionString
            }
            {
              name: 'Storage__TableServiceUri'
              value: tableServiceUri
            }
            {
              name: 'Orleans__ClusterId'
              value: clusterId
            }
            {
              name: 'Orleans__ServiceId'
              value: serviceId
            }
            {
              name: 'Payments__Webhook__Secret'
              secretRef: 'payments-webhook-secret'
            }
            {
              name: 'Authentication__Schemes__Bearer__Authority'
              value: tokenAuthority
            }
            {
              name: 'Authentication__Schemes__Bearer__ValidIssuer'
              value: tokenIssuer
            }
            {
              name: 'Authentication__Schemes__Bearer__ValidAudiences__0'
              value: tokenAudience
            }
          ]
          probes: [
            {
              type: 'Liveness'
              httpGet: {
                path: '/health/live'
                port: 8080
              }
              periodSeconds: 10
              failureThreshold: 3
            }
            {
              // Ready once storage answers and a silo gateway is connected.
              type: 'Readiness'
              httpGet: {
                path: '/health/ready'
                port: 8080
              }
              periodSeconds: 5
              failureThreshold: 3
            }
          ]
        }
      ]
      scale: {
        minReplicas: minReplicas
        maxReplicas: maxReplicas
        rules: [
          {
            name: 'http'
            http: {
              metadata: {
                concurrentRequests: string(concurrentRequestsPerReplica)
              }
            }
          }
        ]
      }
    }
  }
}

output url string = 'https://${api.properties.configuration.ingress.fqdn}'
