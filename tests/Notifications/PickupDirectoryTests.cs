using Billing.Notifications;
using Billing.Tests.Infrastructure;
using Billing.Users;
using Billing.Workspaces;
using Microsoft.Extensions.Time.Testing;
using MimeKit;

namespace Billing.Tests.Notifications;

/// <summary>E4's local default: without an SMTP host, every email is a well-formed <c>.eml</c> file in the pickup folder.</summary>
public sealed class PickupDirectoryTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "billing-pickup-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 3, 9, 0, 0, TimeSpan.Zero));
    private Orleans.TestingHost.TestCluster _cluster = null!;

    public async ValueTask InitializeAsync() =>
        _cluster = await BillingTestCluster.StartAsync(azurite, _clock, 1, new Dictionary<string, string?>
        {
            ["Notifications:PickupDirectory"] = _folder,
            ["Notifications:PortalBaseUrl"] = "https://portal.example.test",
        });

    public async ValueTask DisposeAsync()
    {
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
        if (Directory.Exists(_folder))
            Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Without_an_smtp_host_each_email_is_one_well_formed_eml_file_E4()
    {
        var owner = "owner-" + Guid.NewGuid().ToString("N");
        var workspaceId = "ws_" + Guid.NewGuid().ToString("N");
        await _cluster.Client.GetGrain<IUserGrain>(owner).Record(new UserProfile("ada@example.test", "Ada"));
        await _cluster.Client.GetGrain<IWorkspaceGrain>(workspaceId).Create(new CreateWorkspace("Acme", owner));
        for (var shard = 0; shard < OutboxShards.Count; shard++)
            await _cluster.Client.GetGrain<IOutboxGrain>(shard).Deliver();

        var file = Assert.Single(Directory.GetFiles(_folder));
        Assert.EndsWith(".eml", file, StringComparison.Ordinal);
        var message = await MimeMessage.LoadAsync(file, TestContext.Current.CancellationToken);
        Assert.Equal("ada@example.test", message.To.Mailboxes.Single().Address);
        Assert.Equal("Your workspace Acme is ready", message.Subject);
        Assert.Equal("workspace-created:" + workspaceId, message.Headers[OutboxMail.EventIdHeader]);
        var key = DeliveryRules.MessageKey("workspace-created:" + workspaceId, EmailTemplate.WorkspaceCreated, "user:" + owner);
        Assert.Equal(DeliveryRules.MimeMessageId(key, "localhost"), message.MessageId);
        Assert.Contains("$500.00", message.TextBody, StringComparison.Ordinal);
        Assert.Contains($"https://portal.example.test/workspaces/{workspaceId}", message.HtmlBody, StringComparison.Ordinal);
        var multipart = Assert.IsType<MultipartAlternative>(message.Body);
        Assert.Equal(["text/plain", "text/html"], multipart.Select(p => p.ContentType.MimeType));
    }
}
