/* The autoscalers torta-sim knows, by name (capacity.autoscaler). Add a line for a new one. */
#include <string.h>

#include "torta/sched.h"

extern const torta_autoscaler_ops torta_autoscaler_static, torta_autoscaler_reactive,
    torta_autoscaler_scheduled;

static const torta_autoscaler_ops *const autoscalers[] = {
    &torta_autoscaler_static, &torta_autoscaler_reactive, &torta_autoscaler_scheduled, NULL};

const torta_autoscaler_ops *const *torta_autoscaler_all(void)
{
    return autoscalers;
}

const torta_autoscaler_ops *torta_autoscaler_find(const char *name)
{
    for (size_t i = 0; autoscalers[i]; i++)
        if (strcmp(autoscalers[i]->name, name) == 0)
            return autoscalers[i];
    return NULL;
}
