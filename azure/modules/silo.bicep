// The Orleans silo: at least two replicas of one container app forming one cluster through the membership table.
// Each replica listens for silos and clients on its own address (the ports below are declared to the environment as
// additional TCP ports) and its health endpoints over HTTP on an internal ingress only. Deployed silos serve no dashboard
// (theirs has no authentication): operators open the one the API serves behind their role.

@description('Azure region of the app.')
param location string

@description('Name of the container app.')
param appName string

@description('The Container Apps environment.')
param environmentId string

@description('The dedicated workload profile the silo runs on.')
param workloadProfileName string

@description('The silo image (registry/repository:tag), as publish-images.sh pushes it.')
param image string

@description('Login server of the registry the image is pulled from (with the app\'s identity).')
param registryServer string

@description('The silo\'s user-assigned identity (resource id).')
param identityId string

@description('Client id of that identity: DefaultAzureCredential picks the identity by AZURE_CLIENT_ID.')
param identityClientId string

@description('Table service endpoint of the storage account (https://<account>.table.core.windows.net/).')
param tableServiceUri string

@description('Orleans cluster id: silos and clients with the same id form one cluster.')
param clusterId string

@description('Orleans service id: stable across deployments, it keys grain state and reminders.')
param serviceId string

@description('Silo-to-silo port.')
param siloPort int

@description('Client gateway port (the API and channel adapters connect here).')
param gatewayPort int

@description('Fewest silo replicas; two or more so that a restart never leaves the cluster empty.')
@minValue(2)
param minReplicas int

@description('Most silo replicas.')
param maxReplicas int

@description('vCPU per replica.')
param cpu string

@description('Memory per replica (e.g. 4Gi).')
param memory string

@description('Application Insights component that receives the OpenTelemetry data.')
param appInsightsName string

@description('The payment gateway the silo uses (Payments:Gateway).')
param paymentGateway string

@description('Whether the silo may run on the sandbox gateway (Payments:AllowSandbox); outside Development it refuses to otherwise.')
param allowSandboxPayments bool

@description('SMTP host of Communication Services.')
param smtpHost string

@description('The SMTP username bound to the Entra application.')
param smtpUsername string

@description('Key Vault URL of the SMTP password secret.')
param smtpPasswordSecretUrl string

@description('Sender address of every email.')
param fromAddress string

@description('Sender display name.')
param fromName string

@description('The customer portal every email link is built from.')
param portalBaseUrl string

@description('Where the image keeps the invoice fonts (see the silo project\'s container settings).')
param invoiceFontDirectory string

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource silo 'Microsoft.App/containerApps@2025-01-01' = {
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
      // One revision at a time: a new version starts its replicas, joins the cluster beside the old ones, then the
      // old replicas shut down gracefully (grains move). See docs/operations.md on rolling out.
      activeRevisionsMode: 'Single'
      registries: [
        {
          server: registryServer
          identity: identityId
        }
      ]
      ingress: {
        external: false
        targetPort: 8080
        transport: 'http'
        allowInsecure: false
        additionalPortMappings: [
          {
            external: false
            targetPort: siloPort
            exposedPort: siloPort
          }
          {
            external: false
            targetPort: gatewayPort
            exposedPort: gatewayPort
          }
        ]
      }
      secrets: [
        {
          name: 'smtp-password'
          keyVaultUrl: smtpPasswordSecretUrl
          identity: identityId
        }
      ]
    }
    template: {
      // Time for a stopping silo to hand its grains over and leave the membership table cleanly.
      terminationGracePeriodSeconds: 120
      containers: [
        {
          name: 'silo'
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
              name: 'Orleans__SiloPort'
              value: string(siloPort)
            }
            {
              name: 'Orleans__GatewayPort'
              value: string(gatewayPort)
            }
            {
              // Empty: the replica advertises its own address. Container Apps gives a replica no variable holding its
              // IP, so the silo takes it from its network interface (as Orleans does when no address is configured).
              name: 'Orleans__AdvertisedIP'
              value: ''
            }
            {
              name: 'Payments__Gateway'
              value: paymentGateway
            }
            {
              name: 'Payments__AllowSandbox'
              value: string(allowSandboxPayments)
            }
            {
              name: 'Payments__InvoiceFontDirectory'
              value: invoiceFontDirectory
            }
            {
              name: 'Notifications__PortalBaseUrl'
              value: portalBaseUrl
            }
            {
              name: 'Notifications__FromAddress'
              value: fromAddress
            }
            {
              name: 'Notifications__FromName'
              value: fromName
            }
            {
              name: 'Notifications__Smtp__Host'
              value: smtpHost
            }
            {
              name: 'Notifications__Smtp__Port'
              value: '587'
            }
            {
              name: 'Notifications__Smtp__Security'
              value: 'StartTls'
            }
            {
              name: 'Notifications__Smtp__Username'
              value: smtpUsername
            }
            {
              name: 'Notifications__Smtp__Password'
              secretRef: 'smtp-password'
            }
          ]
          probes: [
            {
              // Start-up: joining the cluster (membership, directory) can take a while on a busy cluster.
              type: 'Startup'
              tcpSocket: {
                port: siloPort
              }
              periodSeconds: 5
              failureThreshold: 24
            }
            {
              // Live while the process answers and its metering journal writes: a journal that stopped for good (fenced,
              // or a write it could not settle) decides nothing until the silo restarts. A storage outage is not checked
              // here, so it never restarts a silo.
              type: 'Liveness'
              httpGet: {
                path: '/health/live'
                port: 8080
              }
              periodSeconds: 10
              failureThreshold: 3
            }
            {
              // The gateway opens once the silo is active: only then may clients be routed to it.
              type: 'Readiness'
              tcpSocket: {
                port: gatewayPort
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
            name: 'cpu'
            custom: {
              type: 'cpu'
              metadata: {
                type: 'Utilization'
                value: '70'
              }
            }
          }
        ]
      }
    }
  }
}

