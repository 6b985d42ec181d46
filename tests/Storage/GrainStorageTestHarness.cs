using Azure.Data.Tables;
using Billing.Storage.Persistence;
using Billing.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Billing.Tests.Storage;

/// <summary>
/// Builds an <see cref="AzureTableGrainStorage"/> on its own Azurite table, serializing with Orleans' binary grain storage
/// serializer as a silo would. The serializer services are stateless and shared by every test.
/// </summary>
public static class GrainStorageTestHarness
{
    public const string ProviderName = "conformance";

    private static readonly ServiceProvider Services = new ServiceCollection()
        .AddSerializer(serializer => serializer.AddAssembly(typeof(GrainStorageTestHarness).Assembly))
        .BuildServiceProvider();

    public static IGrainStorageSerializer Serializer { get; } = new OrleansGrainStorageSerializer(Services.GetRequiredService<Serializer>());

    public static IActivatorProvider ActivatorProvider => Services.GetRequiredService<IActivatorProvider>();

    public static AzureTableGrainStorageOptions Options(AzuriteFixture azurite, string tablePrefix) => new()
    {
        ConnectionString = azurite.ConnectionString,
        TableName = AzuriteFixture.UniqueTableName(tablePrefix),
        GrainStorageSerializer = Serializer,
    };

    /// <summary>A provider on a fresh table, initialized as the silo lifecycle would.</summary>
    public static async Task<AzureTableGrainStorage> CreateAsync(AzuriteFixture azurite, string tablePrefix, CancellationToken cancellationToken)
    {
        var storage = new AzureTableGrainStorage(ProviderName, Options(azurite, tablePrefix), ActivatorProvider, NullLogger<AzureTableGrainStorage>.Instance);
        await storage.InitializeAsync(cancellationToken);
        return storage;
    }

    /// <summary>The raw table behind a provider, to check what it stored.</summary>
    public static TableClient Table(AzuriteFixture azurite, AzureTableGrainStorage storage) =>
        azurite.ServiceClient.GetTableClient(storage.TableName);

    /// <summary>A grain id no other test uses, so tests never share rows even on one table.</summary>
    public static GrainId NewGrainId(string key = "") => GrainId.Create("probe", $"{key}{Guid.NewGuid():N}");

    public static async Task<TestGrainState<T>> ReadAsync<T>(this IGrainStorage storage, string stateName, GrainId grainId)
        where T : class, new()
    {
        var state = new TestGrainState<T>();
        await storage.ReadStateAsync(stateName, grainId, state, TestContext.Current.CancellationToken);
        return state;
    }
}

/// <summary>
/// The grain state a grain's <c>IPersistentState</c> would hold. Unlike Orleans' <see cref="GrainState{T}"/> its state is
/// never null (providers always set one), so tests read fields without null-forgiving noise.
/// </summary>
public sealed class TestGrainState<T> : IGrainState<T> where T : class, new()
{
    public TestGrainState(T? state = null) => State = state ?? new T();

    public T State { get; set; }

    public string? ETag { get; set; }

    public bool RecordExists { get; set; }

    T? IGrainState<T>.State
    {
        get => State;
        set => State = value ?? throw new ArgumentNullException(nameof(value), "Grain storage providers set a state, never null.");
    }
}
