using System.Net;
using Azure.Data.Tables;
using Billing;
using Billing.Hosting;
using Billing.Metering;
using Billing.Notifications;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Serialization;
using Orleans.Storage;

namespace Billing.Silo.Hosting;

public static class BillingSiloExtensions
{
    /// <summary>How long a stopping silo may take to leave the cluster gracefully.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(20);

    /// <summary>How often the dashboard samples the silo's counters unless <c>Dashboard:CounterUpdateIntervalMs</c> says otherwise.</summary>
    public const int DashboardCounterInterval = 10_000;

    /// <summary>
    /// Hosts the billing silo in this web application: Azure Table clustering, grain storage and reminders on the
    /// one configured storage account, and the Orleans dashboard. Settings are validated at start-up.
    /// </summary>
    public static WebApplicationBuilder AddBillingSilo(this WebApplicationBuilder builder)
    {
        var silo = builder.Configuration.GetSection(SiloSettings.Section).Get<SiloSettings>() ?? new SiloSettings();
        Validate(silo);
        RefuseDevelopmentSettings(builder);
        IPAddress? advertisedIp = null;
        if (!string.IsNullOrWhiteSpace(silo.AdvertisedIP) && !IPAddress.TryParse(silo.AdvertisedIP, out advertisedIp))
            throw new InvalidOperationException($"Orleans:AdvertisedIP '{silo.AdvertisedIP}' is not an IP address (leave it empty to advertise this machine's own address).");

        // The dashboard answers only the hosts in AllowedHosts (appsettings.json: loopback names), so a web page cannot
        // reach it by DNS rebinding; the silo does not announce its server software.
        builder.WebHost.ConfigureKestrel(o => o.AddServerHeader = false);

        // Ctrl-C or SIGTERM: the silo leaves the cluster gracefully (marks itself dead in the membership table,
        // deactivates its grains) within this bound. Past it the host cancels the stop, so a storage account that is
        // already gone cannot hold the process for minutes of retries.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);

        builder.UseOrleans(siloBuilder =>
        {
            siloBuilder.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = silo.ClusterId;
                o.ServiceId = silo.ServiceId;
            });
            if (advertisedIp is not null)
                siloBuilder.ConfigureEndpoints(advertisedIp, silo.SiloPort, silo.GatewayPort, listenOnAnyHostAddress: false);
            else
                // Container platforms (Azure Container Apps) give a replica no setting that holds its own address: take
                // the network interface's, as Orleans does when none is configured, and listen on every interface.
                siloBuilder.ConfigureEndpoints(silo.SiloPort, silo.GatewayPort, listenOnAnyHostAddress: true);
            siloBuilder.UseBillingClustering();
            // Orleans' defaults unless set (tests of real silo processes declare a killed silo dead within seconds).
            siloBuilder.Services.AddOptions<ClusterMembershipOptions>().Bind(builder.Configuration.GetSection("Orleans:Membership"));
            siloBuilder.AddBillingGrains();
            siloBuilder.AddDashboard(o =>
            {
                // The dashboard samples Orleans' gauges on every tick, and some of them count every activation of the
                // silo (a walk over all of them): each second, that is a share of the silo's CPU which grows with the
                // number of active end users (docs/benchmarks.md). Every 10 s unless set (Dashboard:CounterUpdateIntervalMs).
                o.CounterUpdateIntervalMs = DashboardCounterInterval;
                builder.Configuration.GetSection("Dashboard").Bind(o);
            });
        });
        builder.AddBillingSiloObservability();
        return builder;
    }

    /// <summary>
    /// What every billing silo needs whatever hosts it (the real host or a test cluster): the process's one
    /// <see cref="TableServiceClient"/> (<c>Storage:*</c>, validated here), grain state and reminders on the official
    /// Orleans Azure Table providers through it, and the clock every billing rule reads (tests register a fake one first).
    /// </summary>
    public static ISiloBuilder AddBillingGrains(this ISiloBuilder siloBuilder)
    {
        // Its SDK logging and tracing are off: ~10% of the client's CPU on the metering hot path (AddBillingStorage).
        siloBuilder.Services.AddBillingStorage(siloBuilder.Configuration);
        siloBuilder.AddAzureTableGrainStorage(StorageNames.Billing, options => options.Configure<TableServiceClient, Serializer>((o, tables, serializer) =>
        {
            o.TableServiceClient = tables;
            // Orleans' own serializer rather than the JSON default: every state is [GenerateSerializer] with ids and
            // aliases, so it tolerates renames and moves, and it is about half the size (the largest seat state the
            // limits allow is 0.9 MB against 1.7 MB of JSON, and the provider refuses a state over 960 KiB).
            o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
            // A cleared state reads exactly like one never written, and its row does not linger.
            o.DeleteStateOnClear = true;
        }));
        siloBuilder.UseAzureTableReminderService(options => options.Configure<TableServiceClient>((o, tables) => o.TableServiceClient = tables));
        siloBuilder.Services.TryAddSingleton(BillingClock.System);
        siloBuilder.Services.AddMetrics();
        siloBuilder.Services.TryAddSingleton<Billing.Telemetry.BillingMetrics>();
        siloBuilder.Services.AddBillingNotifications();
        siloBuilder.Services.AddSingleton<BillingTables>();
        siloBuilder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<BillingTables>());
        // The metering decisions of every app on this silo become durable in its journal (docs/metering.md).
        siloBuilder.Services.AddSingleton<Billing.Journal.SiloJournal>();
        siloBuilder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<Billing.Journal.SiloJournal>());
        siloBuilder.Services.AddPlacementDirector<Billing.Journal.NamedSiloPlacement, Billing.Journal.NamedSiloPlacementDirector>();
        siloBuilder.Services.AddOptions<MeteringOptions>()
            .BindConfiguration(MeteringOptions.Section)
            .ValidateOnStart();
        siloBuilder.Services.AddSingleton<IValidateOptions<MeteringOptions>, MeteringOptionsValidator>();
        Billing.Payments.PaymentsServiceExtensions.AddBillingPayments(siloBuilder.Services);
        Billing.Workspaces.AbuseLimitServiceExtensions.AddAbuseLimits(siloBuilder.Services);
        return siloBuilder;
    }

    /// <summary>
    /// Keeps cluster membership in the storage account's membership table (the official Orleans Azure clustering),
    /// through the process's one <see cref="TableServiceClient"/>; clients find the gateways there.
    /// </summary>
    public static ISiloBuilder UseBillingClustering(this ISiloBuilder siloBuilder) =>
        siloBuilder.UseAzureStorageClustering(options => options.Configure<TableServiceClient>((o, tables) => o.TableServiceClient = tables));

    public static WebApplication MapBillingSilo(this WebApplication app)
    {
        // The silo's own dashboard has no authentication: only local development serves it (on loopback, for the
        // loopback host names of AllowedHosts). Deployed, operators open the one the API serves behind their role
        // (/operator/dashboard); the silos still collect its statistics (AddDashboard above).
        if (app.Environment.IsDevelopment())
        {
            app.MapOrleansDashboard(routePrefix: "/dashboard");
            app.MapGet("/", () => Results.Redirect("/dashboard"));
        }

        app.MapBillingHealthEndpoints();
        return app;
    }

    /// <summary>
    /// Outside Development the silo refuses to start on development storage or on the sandbox gateway unless the
    /// deployment allows it (<c>Payments:AllowSandbox</c>): a forgotten <c>Payments:Gateway</c> must not take sandbox money.
    /// Here in the real host only: the in-process test clusters call <see cref="AddBillingGrains"/> directly.
    /// </summary>
    private static void RefuseDevelopmentSettings(WebApplicationBuilder builder)
    {
        if (!ProductionGuards.Apply(builder.Environment))
            return;
        var config = builder.Configuration;
        var payments = config.GetSection(Billing.Payments.PaymentsOptions.Section).Get<Billing.Payments.PaymentsOptions>() ?? new();
        var sandbox = config.GetSection(SandboxSettings.Section).Get<SandboxSettings>() ?? new();
        ProductionGuards.ThrowIfAny("silo", builder.Environment,
        [
            ProductionGuards.DevelopmentStorage(config[$"{StorageSettings.Section}:ConnectionString"], config[$"{StorageSettings.Section}:TableServiceUri"]),
            ProductionGuards.SandboxGateway(payments.Gateway, Billing.Payments.PaymentsOptions.SandboxGateway, sandbox.AllowSandbox),
        ]);
    }

    /// <summary>Names every wrong Metering setting, so a misconfigured silo refuses to start with a useful message.</summary>
    private sealed class MeteringOptionsValidator : IValidateOptions<MeteringOptions>
    {
        public ValidateOptionsResult Validate(string? name, MeteringOptions options) =>
            options.Problems().ToList() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }

    private static void Validate<T>(T settings) where T : notnull
    {
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        if (!System.ComponentModel.DataAnnotations.Validator.TryValidateObject(settings, new(settings), results, validateAllProperties: true))
            throw new InvalidOperationException($"Invalid {typeof(T).Name}: {string.Join("; ", results.Select(r => $"{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"))}");
    }
}
