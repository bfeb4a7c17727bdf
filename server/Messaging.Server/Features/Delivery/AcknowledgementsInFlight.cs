namespace Messaging.Server.Features.Delivery;

/// <summary>
/// The acknowledgements of one hub connection still being applied, so that a drain on that connection reads the queue
/// only once they are. SignalR runs a connection's calls one at a time, but it starts a stream (the drain) without
/// waiting for the call before it: a drain sent right after a quiet acknowledgement read the queue before that
/// acknowledgement's delete was committed, and sent the client again a copy it had just acknowledged (seen under the
/// benchmark's load). Nothing was lost, but a client had to recognise the copy as one it already had.
/// </summary>
internal sealed class AcknowledgementsInFlight
{
    private readonly Lock gate = new();
    private int running;
    private TaskCompletionSource? applied;

    public void Started()
    {
        lock (gate)
        {
            running++;
        }
    }

    public void Finished()
    {
        TaskCompletionSource? waiting = null;
        lock (gate)
        {
            if (--running == 0)
            {
                (waiting, applied) = (applied, null);
            }
        }

        waiting?.TrySetResult();
    }

    /// <summary>Completes once every acknowledgement started before this call is applied (or failed).</summary>
    public Task AppliedAsync()
    {
        lock (gate)
        {
            return running == 0
                ? Task.CompletedTask
                : (applied ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }
}
