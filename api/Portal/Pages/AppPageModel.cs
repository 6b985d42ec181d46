using Billing.Apps;

namespace Billing.Api.Portal.Pages;

/// <summary>
/// A page under <c>/workspaces/{workspaceId}/apps/{appId}</c>. The app is read first (the API answers 404 to anyone
/// who is not a member), and an app of another workspace than the URL's is not found either, so a URL either names
/// the user's app in the user's workspace or shows "not found".
/// </summary>
public abstract class AppPageModel : PortalPageModel
{
    public AppView? App { get; private set; }

    protected string AppPath => $"/apps/{Uri.EscapeDataString(App!.Id)}";

    protected string PagePath => $"/workspaces/{Uri.EscapeDataString(App!.WorkspaceId)}/apps/{Uri.EscapeDataString(App.Id)}";

    protected async Task LoadApp(string workspaceId, string appId)
    {
        var app = await Api.Get<AppView>($"/apps/{Uri.EscapeDataString(appId)}");
        if (app.WorkspaceId != workspaceId)
            throw new PortalApiException(System.Net.HttpStatusCode.NotFound, "app.not-found", "Not found.", null);
        App = app;
        WorkspaceId = app.WorkspaceId;
        AppId = app.Id;
        AppName = app.Name;
    }
}
