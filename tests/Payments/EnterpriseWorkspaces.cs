using Billing.Workspaces;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Billing.Tests.Payments;

/// <summary>
/// The Enterprise upgrade is another issue's work (W4); until it exists, tests turn a workspace Enterprise the way the
/// upgrade will leave it: its stored state says Enterprise. Written through the silo's own grain storage, then the
/// cluster's idle activations are collected so that the workspace reads it back.
/// </summary>
public static class EnterpriseWorkspaces
{
    public static async Task MakeEnterpriseAsync(TestCluster cluster, string workspaceId)
    {
        var silo = (InProcessSiloHandle)cluster.Silos[0];
        var storage = silo.SiloHost!.Services.GetRequiredKeyedService<IGrainStorage>(StorageNames.Billing);
        var grainId = cluster.Client.GetGrain<IWorkspaceGrain>(workspaceId).GetGrainId();
        var state = new GrainState<WorkspaceState>();
        await storage.ReadStateAsync("workspace", grainId, state);
        state.State!.Type = WorkspaceType.Enterprise;
        await storage.WriteStateAsync("workspace", grainId, state);
        await cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
    }
}
