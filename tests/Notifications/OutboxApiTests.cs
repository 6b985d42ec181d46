using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Billing.Api.Operators;
using Billing.Notifications;
using Billing.Tests.Infrastructure;
using Billing.Users;
using Billing.Workspaces;

namespace Billing.Tests.Notifications;

/// <summary>E3 over REST: operators list the outbox by status and retry a dead message; nobody else may.</summary>
public sealed class OutboxApiTests(OutboxApiFixture api) : IClassFixture<OutboxApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Operator => api.ClientFor("support-1", OperatorApi.OperatorRole);

    private async Task DeliverAll()
    {
        for (var shard = 0; shard < OutboxShards.Count; shard++)
            await api.Cluster.Client.GetGrain<IOutboxGrain>(shard).Deliver();
    }

    private async Task<JsonElement?> Find(string status, string eventId)
    {
        var page = await Operator.GetFromJsonAsync<JsonElement>($"/operator/outbox?status={status}&limit=500", Ct);
        return page.EnumerateArray().Where(m => m.GetProperty("eventId").GetString() == eventId).Select(m => (JsonElement?)m).SingleOrDefault();
    }

    [Fact]
    public async Task An_operator_sees_a_dead_email_and_retries_it_once_the_cause_is_fixed_E3()
    {
        var owner = "owner-" + Guid.NewGuid().ToString("N");
        var workspaceId = "ws_" + Guid.NewGuid().ToString("N");
        await api.Cluster.Client.GetGrain<IWorkspaceGrain>(workspaceId).Create(new CreateWorkspace("Acme", owner));
        var eventId = "workspace-created:" + workspaceId;
        await DeliverAll();

        var dead = await Find("dead", eventId);
        Assert.NotNull(dead);
        Assert.Contains("no known email address", dead.Value.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        Assert.Equal("WorkspaceCreated", dead.Value.GetProperty("template").GetString());
        Assert.Equal("user:" + owner, dead.Value.GetProperty("recipient").GetString());
        var id = dead.Value.GetProperty("id").GetString()!;

        await api.Cluster.Client.GetGrain<IUserGrain>(owner).Record(new UserProfile($"{owner}@example.test", "Ada"));
        var retried = await Operator.PostAsync($"/operator/outbox/{id}/retry", null, Ct);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal("Pending", (await retried.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("status").GetString());
        await DeliverAll();

        var sent = await Find("sent", eventId);
        Assert.NotNull(sent);
        Assert.Equal($"{owner}@example.test", sent.Value.GetProperty("to").GetString());
        Assert.Null(await Find("dead", eventId));

        var again = await Operator.PostAsync($"/operator/outbox/{id}/retry", null, Ct);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("outbox.message.not-dead", (await again.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Only_operators_see_the_outbox()
    {
        var member = api.ClientFor("someone-" + Guid.NewGuid().ToString("N"));
        Assert.Equal(HttpStatusCode.Forbidden, (await member.GetAsync("/operator/outbox?status=dead", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await member.PostAsync("/operator/outbox/0123456789abcdef-0123456789abcdef/retry", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.AnonymousClient().GetAsync("/operator/outbox?status=dead", Ct)).StatusCode);
    }

    [Theory]
    [InlineData("/operator/outbox", "status")]
    [InlineData("/operator/outbox?status=lost", "status")]
    [InlineData("/operator/outbox?status=1", "status")]
    [InlineData("/operator/outbox?status=dead&limit=0", "limit")]
    [InlineData("/operator/outbox?status=dead&limit=501", "limit")]
    public async Task A_bad_query_is_a_problem_naming_the_field(string path, string field)
    {
        var response = await Operator.GetAsync(path, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Theory]
    [InlineData("nope")]
    [InlineData("0123456789abcdef-0123456789abcdef")]
    public async Task Retrying_an_unknown_message_is_404(string id)
    {
        var response = await Operator.PostAsync($"/operator/outbox/{id}/retry", null, Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}

/// <summary>The API over a cluster whose billing events go to the real outbox.</summary>
public sealed class OutboxApiFixture(AzuriteFixture azurite) : ApiFixture(azurite)
{
    protected override bool RecordEvents => false;
}
