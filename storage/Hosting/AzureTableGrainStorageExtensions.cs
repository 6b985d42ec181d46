using Billing.Storage.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Providers;
using Orleans.Runtime.Hosting;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Billing.Storage.Hosting;

/// <summary>Registers <see cref="AzureTableGrainStorage"/> as a named Orleans grain storage provider.</summary>
public static class AzureTableGrainStorageExtensions
{
    /// <summary>Uses Azure table grain storage for grains that name no storage provider.</summary>
    public static ISiloBuilder AddAzureTableGrainStorageAsDefault(this ISiloBuilder builder, Action<AzureTableGrainStorageOptions> configureOptions) =>
        builder.AddAzureTableGrainStorage(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, configureOptions);

    /// <summary>Adds Azure table grain storage under <paramref name="name"/> (the name in <c>[PersistentState(stateName, name)]</c>).</summary>
    public static ISiloBuilder AddAzureTableGrainStorage(this ISiloBuilder builder, string name, Action<AzureTableGrainStorageOptions> configureOptions)
    {
        ArgumentNullException.ThrowIfNull(configureOptions);
        return builder.AddAzureTableGrainStorage(name, options => options.Configure(configureOptions));
    }

    /// <summary>Uses Azure table grain storage for grains that name no storage provider.</summary>
    public static ISiloBuilder AddAzureTableGrainStorageAsDefault(this ISiloBuilder builder, Action<OptionsBuilder<AzureTableGrainStorageOptions>>? configureOptions = null) =>
        builder.AddAzureTableGrainStorage(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, configureOptions);

    /// <summary>Adds Azure table grain storage under <paramref name="name"/> (the name in <c>[PersistentState(stateName, name)]</c>).</summary>
    public static ISiloBuilder AddAzureTableGrainStorage(this ISiloBuilder builder, string name, Action<OptionsBuilder<AzureTableGrainStorageOptions>>? configureOptions = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddAzureTableGrainStorage(name, configureOptions);
        return builder;
    }

    /// <summary>Adds Azure table grain storage under <paramref name="name"/> to a silo's services.</summary>
    public static IServiceCollection AddAzureTableGrainStorage(this IServiceCollection services, string name, Action<AzureTableGrainStorageOptions> configureOptions)
    {
        ArgumentNullException.ThrowIfNull(configureOptions);
        return services.AddAzureTableGrainStorage(name, options => options.Configure(configureOptions));
    }

    /// <summary>
    /// Adds Azure table grain storage under <paramref name="name"/> to a silo's services: keyed <see cref="IGrainStorage"/>
    /// (and the unkeyed default when <paramref name="name"/> is Orleans' default), table creation at silo start, options
    /// validated at start-up and logged with their credentials redacted.
    /// </summary>
    public static IServiceCollection AddAzureTableGrainStorage(this IServiceCollection services, string name, Action<OptionsBuilder<AzureTableGrainStorageOptions>>? configureOptions = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);

        configureOptions?.Invoke(services.AddOptions<AzureTableGrainStorageOptions>(name));
        // Fills GrainStorageSerializer from the silo's registered IGrainStorageSerializer when the options leave it unset.
        services.TryAddEnumerable(ServiceDescriptor.Transient<IPostConfigureOptions<AzureTableGrainStorageOptions>, DefaultStorageProviderSerializerOptionsConfigurator<AzureTableGrainStorageOptions>>());
        services.AddTransient<IConfigurationValidator>(sp => new AzureTableGrainStorageOptionsValidator(Options(sp, name), name));
        // Replaces Orleans' default formatter for these options, which would log the connection string with its key.
        services.TryConfigureFormatterResolver<AzureTableGrainStorageOptions, AzureTableGrainStorageOptionsFormatterResolver>();
        services.ConfigureNamedOptionForLogging<AzureTableGrainStorageOptions>(name);

        // Registered with its concrete type, so Orleans also subscribes it to the silo lifecycle (table creation).
        return services.AddGrainStorage(name, (sp, _) => new AzureTableGrainStorage(
            name,
            Options(sp, name),
            sp.GetRequiredService<IActivatorProvider>(),
            sp.GetRequiredService<ILogger<AzureTableGrainStorage>>()));
    }

    private static AzureTableGrainStorageOptions Options(IServiceProvider services, string name) =>
        services.GetRequiredService<IOptionsMonitor<AzureTableGrainStorageOptions>>().Get(name);
}
