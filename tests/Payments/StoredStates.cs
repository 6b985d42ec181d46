using Billing.Payments;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Billing.Tests.Payments;

/// <summary>Reads and writes grain states the way the silo's storage provider does, to measure or to plant them.</summary>
public static class StoredStates
{
    private static IServiceProvider Services(TestCluster cluster) => cluster.Silos.OfType<InProcessSiloHandle>().First().SiloHost.Services;

    private static IGrainStorage Storage(TestCluster cluster) => Services(cluster).GetRequiredKeyedService<IGrainStorage>(StorageNames.Billing);

    public static async Task<T> ReadAsync<T>(TestCluster cluster, string stateName, GrainId grain) where T : new()
    {
        var state = new GrainState<T>(new T());
        await Storage(cluster).ReadStateAsync(stateName, grain, state);
        return state.State!;
    }

    /// <summary>Writes a state as the grain's own provider would (the grain must not be active).</summary>
    public static async Task WriteAsync<T>(TestCluster cluster, string stateName, GrainId grain, T value) where T : new()
    {
        var state = new GrainState<T>(new T());
        await Storage(cluster).ReadStateAsync(stateName, grain, state);
        state.State = value;
        await Storage(cluster).WriteStateAsync(stateName, grain, state);
    }

    /// <summary>The size, in bytes, of the stored state: the provider's own serialization of it (Orleans' serializer).</summary>
    public static async Task<int> SizeAsync<T>(TestCluster cluster, string stateName, GrainId grain) where T : new()
    {
        var value = await ReadAsync<T>(cluster, stateName, grain);
        return new OrleansGrainStorageSerializer(Services(cluster).GetRequiredService<Serializer>()).Serialize(value).ToArray().Length;
    }
}
